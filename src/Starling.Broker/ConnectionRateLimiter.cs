using System.Collections.Concurrent;
using System.Net;

namespace Starling.Broker;

/// <summary>
/// Counts new connections per source address in one-second windows, for
/// <see cref="BrokerOptions.MaximumConnectionRatePerAddress"/>. Old windows are pruned by the broker's sweep.
/// </summary>
internal sealed class ConnectionRateLimiter
{
    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();

    /// <summary>Counts one connection from <paramref name="address"/>; false when it is over <paramref name="perSecond"/>.</summary>
    public bool TryAcquire(IPAddress address, int perSecond, long now)
    {
        var window = _windows.AddOrUpdate(
            address,
            static (_, now) => new Window(now, 1),
            static (_, current, now) => now - current.Start >= 1000 ? new Window(now, 1) : current with { Count = current.Count + 1 },
            now);
        return window.Count <= perSecond;
    }

    /// <summary>Forgets addresses whose window has ended.</summary>
    public void Prune(long now)
    {
        foreach (var (address, window) in _windows)
        {
            if (now - window.Start >= 2000)
            {
                _windows.TryRemove(new KeyValuePair<IPAddress, Window>(address, window));
            }
        }
    }

    private readonly record struct Window(long Start, int Count);
}
