using Starling.Broker.Storage;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>
/// The acknowledgements of one connection when the broker journals to a durable store: a PUBACK, PUBREC, PUBCOMP or
/// SUBACK leaves only once the journal entries its packet produced are committed, so an acknowledged message survives
/// a crash. Waiting never blocks the receive path: the connection goes on reading, and the acknowledgements follow
/// as commits complete, in the order their packets came, so one that needs nothing durable still waits its turn
/// behind one that does. A commit that fails has its acknowledgements refused (<see cref="Refuse"/>).
/// </summary>
internal sealed class DurableAcks(JournalWriter journal, Action<MqttPacket> write, Action<MqttPacket, StoreFailedException> refuse)
{
    /// <summary>The acknowledgements waiting, oldest first; also the lock.</summary>
    private readonly Queue<Waiting> _waiting = new();

    /// <summary>Writes <paramref name="ack"/> once the journal is durable up to <paramref name="position"/> (0: now, in turn).</summary>
    public void Write(MqttPacket ack, long position) => Enqueue(ack, position, written: null);

    /// <summary>As <see cref="Write"/>, and completes when the acknowledgement was written (or refused).</summary>
    public Task WriteAndWaitAsync(MqttPacket ack, long position)
    {
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(ack, position, written);
        return written.Task;
    }

    /// <summary>What a failed commit does to an acknowledgement: handed to the connection to refuse or close.</summary>
    private void Refuse(Waiting waiting, StoreFailedException failure)
    {
        refuse(waiting.Ack, failure);
        waiting.Written?.TrySetResult();
    }

    private void Enqueue(MqttPacket ack, long position, TaskCompletionSource? written)
    {
        lock (_waiting)
        {
            if (_waiting.Count == 0 && position <= journal.DurablePosition)
            {
                write(ack);
                written?.TrySetResult();
                return;
            }

            _waiting.Enqueue(new Waiting(ack, position, written));
            if (_waiting.Count == 1)
            {
                _ = DrainAsync();
            }
        }
    }

    /// <summary>Waits for the oldest acknowledgement's commit, writes every one that commit covers, and goes on until none waits.</summary>
    private async Task DrainAsync()
    {
        while (true)
        {
            long position;
            lock (_waiting)
            {
                if (_waiting.Count == 0)
                {
                    return;
                }

                position = _waiting.Peek().Position;
            }

            StoreFailedException? failure = null;
            try
            {
                await journal.WhenDurableAsync(position).ConfigureAwait(false);
            }
            catch (StoreFailedException ex)
            {
                failure = ex;
            }

            lock (_waiting)
            {
                if (failure is not null)
                {
                    Refuse(_waiting.Dequeue(), failure); // the next ones wait for their own commits, which may succeed
                    continue;
                }

                long durable = journal.DurablePosition;
                while (_waiting.Count > 0 && _waiting.Peek().Position <= durable)
                {
                    var next = _waiting.Dequeue();
                    write(next.Ack);
                    next.Written?.TrySetResult();
                }
            }
        }
    }

    private readonly record struct Waiting(MqttPacket Ack, long Position, TaskCompletionSource? Written);
}
