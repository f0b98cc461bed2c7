namespace Starling.Broker.Storage;

/// <summary>
/// One reading of both clocks, to turn the engine's monotonic deadlines (Environment.TickCount64, which restarts
/// with the process) into wall-clock times a store can keep, and back.
/// </summary>
internal readonly record struct StoreClock(long Ticks, DateTimeOffset Utc)
{
    public static StoreClock Now() => new(Environment.TickCount64, DateTimeOffset.UtcNow);

    /// <summary>The wall-clock time of a monotonic deadline; null for <see cref="long.MaxValue"/> (never).</summary>
    public DateTimeOffset? ToUtc(long deadline) => deadline == long.MaxValue ? null : Utc.AddMilliseconds(deadline - Ticks);

    /// <summary>The monotonic deadline of a wall-clock time; <see cref="long.MaxValue"/> for null (never).</summary>
    public long ToTicks(DateTimeOffset? time) => time is { } t ? Ticks + (long)(t - Utc).TotalMilliseconds : long.MaxValue;
}
