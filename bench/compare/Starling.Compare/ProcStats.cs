using System.Globalization;

namespace Starling.Compare;

/// <summary>Reads memory and CPU counters of a process and of the machine from /proc.</summary>
internal static class ProcStats
{
    /// <summary>Clock ticks per second of /proc/PID/stat (USER_HZ); 100 on every Linux this runs on.</summary>
    public const double TicksPerSecond = 100.0;

    /// <summary>VmRSS and VmHWM of a process in bytes, or null when it is gone.</summary>
    public static (long Rss, long Hwm)? ReadMemory(int pid)
    {
        try
        {
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = ParseKb(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = ParseKb(line);
                }
            }

            return (rss, hwm);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>utime + stime of a process in clock ticks, or null when it is gone.</summary>
    public static long? ReadCpuTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // rest[0] is field 3 (state); utime is field 14, stime field 15.
            return long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Busy and total ticks of all CPUs together, from the first line of /proc/stat.</summary>
    public static (long Busy, long Total) ReadMachineTicks()
    {
        var first = File.ReadLines("/proc/stat").First();
        var fields = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Sum();
        var idle = fields[3] + fields[4]; // idle + iowait
        return (total - idle, total);
    }

    private static long ParseKb(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(parts[1], CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>One sample of the broker, the load generator and the machine.</summary>
internal readonly record struct Sample(double Seconds, long BrokerRss, long BrokerTicks, long GeneratorTicks, long MachineBusy, long MachineTotal);

/// <summary>Samples a broker (and optionally the load generator) every few hundred milliseconds.</summary>
internal sealed class Sampler : IAsyncDisposable
{
    private readonly int _brokerPid;
    private readonly Func<int?> _generatorPid;
    private readonly List<Sample> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly Task _loop;
    private long _lastGeneratorTicks;

    public Sampler(int brokerPid, Func<int?> generatorPid, TimeSpan interval)
    {
        _brokerPid = brokerPid;
        _generatorPid = generatorPid;
        TakeSample();
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
                {
                    TakeSample();
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
    }

    public double Now => _clock.Elapsed.TotalSeconds;

    public IReadOnlyList<Sample> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public void TakeSample()
    {
        var memory = ProcStats.ReadMemory(_brokerPid);
        var brokerTicks = ProcStats.ReadCpuTicks(_brokerPid);
        if (memory is null || brokerTicks is null)
        {
            return;
        }

        var generator = _generatorPid();
        if (generator is int g && ProcStats.ReadCpuTicks(g) is long gt)
        {
            // A generator that has exited keeps its last reading.
            _lastGeneratorTicks = gt;
        }

        var machine = ProcStats.ReadMachineTicks();
        lock (_samples)
        {
            _samples.Add(new Sample(Now, memory.Value.Rss, brokerTicks.Value, _lastGeneratorTicks, machine.Busy, machine.Total));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
