namespace Starling.Broker.Connections;

/// <summary>
/// The topic aliases the broker assigns towards one 5.0 client [MQTT-3.3.2-7]. A topic gets the next free
/// alias; when all are taken, the least recently used alias is given to the new topic (its PUBLISH carries
/// the full topic again, which rebinds the alias on the client). Guarded by the connection's send lock.
/// </summary>
internal sealed class OutboundTopicAliases
{
    private readonly Dictionary<string, ushort> _byTopic = new(StringComparer.Ordinal);
    private readonly string?[] _topics;
    private readonly long[] _lastUsed;
    private long _clock;

    public OutboundTopicAliases(int maximum)
    {
        _topics = new string?[maximum + 1];
        _lastUsed = new long[maximum + 1];
    }

    /// <summary>The alias for <paramref name="topic"/>; <paramref name="known"/> is true when the client already has it, so the topic may be sent empty.</summary>
    public ushort Get(string topic, out bool known)
    {
        _clock++;
        if (_byTopic.TryGetValue(topic, out ushort alias))
        {
            _lastUsed[alias] = _clock;
            known = true;
            return alias;
        }

        known = false;
        if (_byTopic.Count < _topics.Length - 1)
        {
            alias = (ushort)(_byTopic.Count + 1);
        }
        else
        {
            alias = 1;
            for (int i = 2; i < _topics.Length; i++)
            {
                if (_lastUsed[i] < _lastUsed[alias])
                {
                    alias = (ushort)i;
                }
            }

            _byTopic.Remove(_topics[alias]!);
        }

        _topics[alias] = topic;
        _byTopic[topic] = alias;
        _lastUsed[alias] = _clock;
        return alias;
    }
}
