using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Starling.Cli.Bench;

/// <summary>The conn scenario: open N connections at a rate, keep them open for the duration, report connect times.</summary>
internal sealed class ConnBench(BenchSettings settings, CliConsole console)
{
    public async Task<ConnResult> RunAsync(CancellationToken cancellationToken)
    {
        var count = settings.Connections;
        var connections = new RawConnection?[count];
        var times = new long[count];
        var errors = 0L;
        var reported = 0;
        var opened = 0L;
        var runId = Random.Shared.Next(0x10000).ToString("x4", CultureInfo.InvariantCulture);
        using var concurrency = new SemaphoreSlim(settings.Rate > 0 ? Math.Max(1, count) : 256);
        var start = Stopwatch.GetTimestamp();
        var progress = ProgressAsync(() => Volatile.Read(ref opened), () => Volatile.Read(ref errors), cancellationToken);
        var tasks = new List<Task>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (settings.Rate > 0)
                {
                    var due = start + (long)(i / settings.Rate * Stopwatch.Frequency);
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency), cancellationToken).ConfigureAwait(false);
                    }
                }

                await concurrency.WaitAsync(cancellationToken).ConfigureAwait(false);
                var index = i;
                tasks.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            var begin = Stopwatch.GetTimestamp();
                            connections[index] = await RawConnection.ConnectAsync(settings, $"{settings.ClientIdPrefix}-{runId}-c{index}", cancellationToken).ConfigureAwait(false);
                            times[index] = Stopwatch.GetTimestamp() - begin;
                            Interlocked.Increment(ref opened);
                        }
                        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                        {
                            times[index] = -1;
                            Interlocked.Increment(ref errors);
                            if (Interlocked.Increment(ref reported) <= 5)
                            {
                                var hint = ex is SocketException { SocketErrorCode: SocketError.TooManyOpenSockets } ? " (raise ulimit -n)" : "";
                                await console.Error.WriteLineAsync($"starling bench: connection {index}: {ex.Message}{hint}").ConfigureAwait(false);
                            }
                        }
                        finally
                        {
                            concurrency.Release();
                        }
                    },
                    CancellationToken.None));
            }

            await Task.WhenAll(tasks).ConfigureAwait(false);
            var connectTicks = Stopwatch.GetTimestamp() - start;
            if (settings.Live)
            {
                await console.Error.WriteLineAsync($"starling bench: {opened} connections open after {connectTicks / (double)Stopwatch.Frequency:0.000} s; holding them for {settings.Duration.TotalSeconds:0.###} s").ConfigureAwait(false);
            }

            await Task.Delay(settings.Duration, cancellationToken).ConfigureAwait(false);
            var histogram = new LatencyHistogram();
            foreach (var ticks in times)
            {
                if (ticks >= 0)
                {
                    histogram.Record(BenchClock.ToNanoseconds(ticks));
                }
            }

            return new ConnResult(count, connectTicks / (double)Stopwatch.Frequency, histogram, errors);
        }
        finally
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
            await Task.WhenAll(connections.OfType<RawConnection>().Select(c => c.DisconnectAsync())).ConfigureAwait(false);
        }
    }

    private async Task ProgressAsync(Func<long> opened, Func<long> errors, CancellationToken cancellationToken)
    {
        var second = 0;
        var last = 0L;
        try
        {
            while (settings.Live && opened() + errors() < settings.Connections)
            {
                await Task.Delay(1000, cancellationToken).ConfigureAwait(false);
                var now = opened();
                second++;
                await console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"[{second,3}s connect] open {now,8:N0}  +{now - last,6:N0}/s  errors {errors()}")).ConfigureAwait(false);
                last = now;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>The conn scenario's summary.</summary>
internal sealed record ConnResult(int Connections, double ConnectSeconds, LatencyHistogram ConnectTimes, long Errors)
{
    private static double Us(long nanoseconds) => Math.Round(nanoseconds / 1000.0, 1);

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("scenario", "conn");
            json.WriteNumber("connections", Connections);
            json.WriteNumber("connectSeconds", Math.Round(ConnectSeconds, 3));
            json.WriteStartObject("connectUs");
            json.WriteNumber("p50", Us(ConnectTimes.Percentile(50)));
            json.WriteNumber("p99", Us(ConnectTimes.Percentile(99)));
            json.WriteNumber("max", Us(ConnectTimes.Max));
            json.WriteEndObject();
            json.WriteNumber("errors", Errors);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public string ToText() => string.Create(
        CultureInfo.InvariantCulture,
        $"scenario     conn, {Connections:N0} connections ({ConnectTimes.Count:N0} opened, {Errors:N0} failed) in {ConnectSeconds:0.000} s\nconnect time p50 {Us(ConnectTimes.Percentile(50)):N1} us  p99 {Us(ConnectTimes.Percentile(99)):N1} us  max {Us(ConnectTimes.Max):N1} us\nerrors       {Errors:N0}");
}
