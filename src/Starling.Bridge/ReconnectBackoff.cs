namespace Starling.Bridge;

/// <summary>
/// The wait before the next connection attempt: doubling from the minimum to the maximum, with "equal jitter" (half
/// fixed, half random) so that bridges cut off together by the same outage do not all come back at the same instant.
/// </summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _minimum;
    private readonly TimeSpan _maximum;
    private TimeSpan _next;

    public ReconnectBackoff(TimeSpan minimum, TimeSpan maximum)
    {
        _minimum = minimum;
        _maximum = maximum;
        _next = minimum;
    }

    /// <summary>The wait to make now; the one after is twice as long, up to the maximum.</summary>
    public TimeSpan Next()
    {
        var ceiling = _next;
        _next = TimeSpan.FromTicks(Math.Min(_maximum.Ticks, ceiling.Ticks * 2));
        return (ceiling / 2) + TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * (ceiling.Ticks / 2)));
    }

    /// <summary>A link that came up starts again from the minimum when it next fails.</summary>
    public void Reset() => _next = _minimum;
}
