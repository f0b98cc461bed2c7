using System.Diagnostics;
using System.Globalization;
using NATS.Client.Core;

/// <summary>
/// What one hop through NATS costs with the official client, before any broker code: a publisher and a subscriber on
/// two connections, paced (one message a millisecond, as the cluster bench's paced cells are), timestamps in the
/// payload. The floor under a cluster crossing: <c>dotnet run -c Release --project bench/Starling.Benchmarks -- nats-floor nats://127.0.0.1:4222</c>.
/// </summary>
internal static class NatsFloor
{
    public static async Task<int> RunAsync(string url, int count = 5000)
    {
        await using var publisher = new NatsConnection(NatsOpts.Default with { Url = url });
        await using var subscriber = new NatsConnection(NatsOpts.Default with { Url = url });
        await publisher.ConnectAsync();
        await subscriber.ConnectAsync();
        var latencies = new List<double>(count);
        var subscription = await subscriber.SubscribeCoreAsync<byte[]>("floor.x");
        await subscriber.PingAsync();
        var reading = Task.Run(async () =>
        {
            await foreach (var message in subscription.Msgs.ReadAllAsync())
            {
                long sent = BitConverter.ToInt64(message.Data!);
                latencies.Add((Stopwatch.GetTimestamp() - sent) * 1e6 / Stopwatch.Frequency);
                if (latencies.Count == count)
                {
                    return;
                }
            }
        });
        for (int i = 0; i < count; i++)
        {
            await publisher.PublishAsync("floor.x", BitConverter.GetBytes(Stopwatch.GetTimestamp()));
            await Task.Delay(1);
        }

        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        latencies.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"NATS hop, {count} paced messages: p50 {latencies[count / 2]:F0} µs, p99 {latencies[(int)(count * 0.99)]:F0} µs"));
        return 0;
    }
}
