using System.Diagnostics;

namespace Starling.Cli.Bench;

/// <summary>The run's timeline in <see cref="Stopwatch"/> ticks: start, end of warm-up, end of the measured window.</summary>
internal sealed class BenchClock
{
    /// <summary>Not started: nothing is in the window.</summary>
    public long Start { get; private set; } = long.MaxValue;

    public long MeasureStart { get; private set; } = long.MaxValue;

    public long MeasureEnd { get; private set; } = long.MaxValue;

    /// <summary>Starts the timeline now.</summary>
    public void Begin(TimeSpan warmup, TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        MeasureEnd = start + ToTicks(warmup) + ToTicks(duration);
        MeasureStart = start + ToTicks(warmup);
        Start = start;
    }

    public static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static long ToNanoseconds(long ticks) => Stopwatch.Frequency == 1_000_000_000 ? ticks : (long)(ticks * (1e9 / Stopwatch.Frequency));

    public bool InWindow(long ticks) => ticks >= MeasureStart && ticks < MeasureEnd;
}
