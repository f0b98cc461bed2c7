using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

/// <summary>
/// The requests waiting for an answer, keyed by packet identifier. Identifiers are allocated 1..65535,
/// round-robin, skipping any still in use; one stays in use until <see cref="Release"/>.
/// </summary>
internal sealed class PendingRequests
{
    private readonly Dictionary<ushort, TaskCompletionSource<MqttPacket>> _pending = [];
    private ushort _last;
    private Exception? _failure;

    /// <summary>How many identifiers are in use.</summary>
    public int Count
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Allocates a free packet identifier and the task its answer completes.</summary>
    public ushort Allocate(out Task<MqttPacket> answer)
    {
        lock (_pending)
        {
            ThrowIfFailed();
            if (_pending.Count >= ushort.MaxValue)
            {
                throw new MqttClientException("All 65535 packet identifiers are in use.");
            }

            var id = _last;
            do
            {
                id = id == ushort.MaxValue ? (ushort)1 : (ushort)(id + 1);
            }
            while (_pending.ContainsKey(id));

            _last = id;
            var source = NewSource();
            _pending[id] = source;
            answer = source.Task;
            return id;
        }
    }

    /// <summary>
    /// Hands a PUBREC to the QoS 2 publication waiting on <paramref name="id"/>, having first armed the wait for its
    /// PUBCOMP (see <see cref="Current"/>), since the PUBREL that asks for it is sent before the publisher resumes.
    /// False if none waits.
    /// </summary>
    public bool TryCompleteAndRearm(ushort id, MqttPacket packet)
    {
        TaskCompletionSource<MqttPacket>? source;
        lock (_pending)
        {
            if (!_pending.TryGetValue(id, out source) || source.Task.IsCompleted)
            {
                return false;
            }

            _pending[id] = NewSource();
        }

        return source.TrySetResult(packet);
    }

    /// <summary>The task the answer now awaited on <paramref name="id"/> completes (PUBCOMP after <see cref="TryCompleteAndRearm"/>).</summary>
    public Task<MqttPacket> Current(ushort id)
    {
        lock (_pending)
        {
            ThrowIfFailed();
            return _pending.TryGetValue(id, out var source) ? source.Task : throw new MqttClientException($"No request waits on packet id {id}.");
        }
    }

    /// <summary>Hands <paramref name="packet"/> to the request waiting on <paramref name="id"/>; false if none waits.</summary>
    public bool TryComplete(ushort id, MqttPacket packet)
    {
        TaskCompletionSource<MqttPacket>? source;
        lock (_pending)
        {
            if (!_pending.TryGetValue(id, out source) || source.Task.IsCompleted)
            {
                return false;
            }
        }

        return source.TrySetResult(packet);
    }

    /// <summary>Frees <paramref name="id"/> for reuse.</summary>
    public void Release(ushort id)
    {
        lock (_pending)
        {
            _pending.Remove(id);
        }
    }

    /// <summary>Fails every waiting request, and every later allocation, with <paramref name="failure"/>.</summary>
    public void FailAll(Exception failure)
    {
        List<TaskCompletionSource<MqttPacket>> sources;
        lock (_pending)
        {
            _failure ??= failure;
            sources = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var source in sources)
        {
            source.TrySetException(failure);
        }
    }

    private void ThrowIfFailed()
    {
        if (_failure is not null)
        {
            throw new MqttClientException(_failure.Message, _failure);
        }
    }

    private static TaskCompletionSource<MqttPacket> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
