namespace Starling.Bridge;

/// <summary>
/// Loop prevention toward a 3.1.1 remote broker, which has no No Local: a message the bridge publishes there on a topic
/// the bridge also subscribes to there comes straight back. Each message sent is remembered (its topic and a hash of its
/// payload) for a while, and the first message from the remote broker that matches one is taken for its echo and
/// dropped. A 5.0 remote broker needs none of this: the bridge's subscriptions there carry No Local [MQTT-3.8.3-3].
/// </summary>
internal sealed class EchoFilter
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    private const int Capacity = 100_000;
    private readonly Dictionary<(string Topic, int Hash), int> _pending = [];
    private readonly Queue<(long Expires, (string Topic, int Hash) Key)> _order = new();

    /// <summary>The bridge is about to send this message to the remote broker.</summary>
    public void Sent(string topic, ReadOnlySpan<byte> payload)
    {
        var key = (topic, Hash(payload));
        lock (_pending)
        {
            Prune(Environment.TickCount64);
            if (_order.Count >= Capacity)
            {
                Forget(_order.Dequeue().Key);
            }

            _pending[key] = _pending.GetValueOrDefault(key) + 1;
            _order.Enqueue((Environment.TickCount64 + (long)Lifetime.TotalMilliseconds, key));
        }
    }

    /// <summary>True when this message from the remote broker is the echo of one the bridge sent (and so is not forwarded).</summary>
    public bool IsEcho(string topic, ReadOnlySpan<byte> payload)
    {
        var key = (topic, Hash(payload));
        lock (_pending)
        {
            Prune(Environment.TickCount64);
            if (!_pending.ContainsKey(key))
            {
                return false;
            }

            Forget(key);
            return true;
        }
    }

    private void Prune(long now)
    {
        while (_order.TryPeek(out var oldest) && oldest.Expires <= now)
        {
            _order.Dequeue();
            Forget(oldest.Key);
        }
    }

    /// <summary>
    /// One remembered send less. The queue's entry of an echo already taken may later take one from a newer identical send:
    /// at worst that send's echo then arrives here once more, a duplicate and never a loop, since the local side's No Local
    /// keeps what the bridge publishes here from going out again.
    /// </summary>
    private void Forget((string Topic, int Hash) key)
    {
        if (_pending.TryGetValue(key, out int count))
        {
            if (count <= 1)
            {
                _pending.Remove(key);
            }
            else
            {
                _pending[key] = count - 1;
            }
        }
    }

    private static int Hash(ReadOnlySpan<byte> payload)
    {
        var hash = new HashCode();
        hash.AddBytes(payload);
        return hash.ToHashCode();
    }
}
