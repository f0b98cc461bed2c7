using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Starling.Cli.Bench;

/// <summary>The final summary of a publish/subscribe scenario.</summary>
internal sealed record BenchResult
{
    public required string Scenario { get; init; }

    public int QoS { get; init; }

    public int Size { get; init; }

    public int Publishers { get; init; }

    public int Subscribers { get; init; }

    /// <summary>Subscribers that stopped reading (<c>--stalled</c>); not in <see cref="Subscribers"/> nor any count.</summary>
    public int Stalled { get; init; }

    /// <summary>How many of the stalled subscribers the broker had disconnected by the end of the run.</summary>
    public int StalledDisconnected { get; init; }

    public double DurationSeconds { get; init; }

    public long Sent { get; init; }

    public long Received { get; init; }

    public long Lost { get; init; }

    public long Duplicated { get; init; }

    public long OutOfOrder { get; init; }

    public double Throughput { get; init; }

    public double SentThroughput { get; init; }

    public required LatencyHistogram Latency { get; init; }

    public long Errors { get; init; }

    private static double Us(long nanoseconds) => Math.Round(nanoseconds / 1000.0, 1);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("scenario", Scenario);
            json.WriteNumber("qos", QoS);
            json.WriteNumber("size", Size);
            json.WriteNumber("publishers", Publishers);
            json.WriteNumber("subscribers", Subscribers);
            if (Stalled > 0)
            {
                json.WriteNumber("stalled", Stalled);
                json.WriteNumber("stalledDisconnected", StalledDisconnected);
            }

            json.WriteNumber("durationSeconds", DurationSeconds);
            json.WriteNumber("sent", Sent);
            json.WriteNumber("received", Received);
            json.WriteNumber("lost", Lost);
            json.WriteNumber("duplicated", Duplicated);
            json.WriteNumber("outOfOrder", OutOfOrder);
            json.WriteNumber("throughput", Math.Round(Throughput, 1));
            json.WriteStartObject("latencyUs");
            json.WriteNumber("p50", Us(Latency.Percentile(50)));
            json.WriteNumber("p99", Us(Latency.Percentile(99)));
            json.WriteNumber("p999", Us(Latency.Percentile(99.9)));
            json.WriteNumber("max", Us(Latency.Max));
            json.WriteEndObject();
            json.WriteNumber("errors", Errors);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"scenario     {Scenario}, QoS {QoS}, {Size} B payload, {Publishers} publisher(s), {Subscribers} subscriber(s), {DurationSeconds:0.###} s measured");
        if (Stalled > 0)
        {
            text.AppendLine(c, $"stalled      {Stalled} subscriber(s) that stopped reading, not counted; {StalledDisconnected} disconnected by the broker by the end");
        }

        text.AppendLine(c, $"sent         {Sent:N0}  ({SentThroughput:N0} msg/s on average, warm-up included)");
        text.AppendLine(c, $"received     {Received:N0}  lost {Lost:N0}  duplicated {Duplicated:N0}  out of order {OutOfOrder:N0}");
        text.AppendLine(c, $"throughput   {Throughput:N0} msg/s received");
        text.AppendLine(c, $"latency      p50 {Us(Latency.Percentile(50)):N1} us  p99 {Us(Latency.Percentile(99)):N1} us  p999 {Us(Latency.Percentile(99.9)):N1} us  max {Us(Latency.Max):N1} us  ({Latency.Count:N0} samples)");
        text.Append(c, $"errors       {Errors:N0}");
        return text.ToString();
    }
}
