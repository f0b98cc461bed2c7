using Starling.Broker.Routing;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Broker.Sessions;

/// <summary>
/// The state of one client identifier that outlives a network connection [MQTT-3.1.2-4]: subscriptions,
/// QoS 1 and 2 messages in flight, messages queued while offline or while the window is full, and the
/// QoS 2 packet ids received but not yet released. Every member is guarded by <see cref="Gate"/>; queues
/// and tables are created on first use so an idle session costs little.
/// </summary>
public sealed partial class Session : ISubscriber
{
    private Queue<QueuedMessage>? _pending;
    private List<InflightMessage>? _inflight;
    private HashSet<ushort>? _incomingQoS2;
    private ushort _lastPacketId;
    private long _pendingBytes;

    internal Session(string clientId, BrokerContext broker)
    {
        ClientId = clientId;
        Broker = broker;
    }

    /// <summary>The client identifier.</summary>
    public string ClientId { get; }

    /// <summary>The user name of the connection that last took the session up, for access rules applied later.</summary>
    public string? Username { get; internal set; }

    /// <summary>Whether a network connection currently uses this session.</summary>
    public bool IsConnected => Connection is not null;

    /// <summary>Messages waiting beyond the in-flight window.</summary>
    public int PendingCount
    {
        get
        {
            lock (Gate)
            {
                return _pending?.Count ?? 0;
            }
        }
    }

    /// <summary>Messages sent and not yet acknowledged.</summary>
    public int InflightCount
    {
        get
        {
            lock (Gate)
            {
                return _inflight?.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// The session's lock: the session object itself, so that each of the many idle sessions does not carry a lock
    /// object of its own (24 bytes). Nothing outside the broker takes it.
    /// </summary>
    internal object Gate => this;

    internal BrokerContext Broker { get; }

    internal ISessionConnection? Connection { get; set; }

    /// <summary>
    /// Seconds the session outlives its connection: 0 ends it with the connection (3.1.1 Clean Session = 1,
    /// 5.0 Session Expiry Interval absent or 0) [MQTT-3.1.2-6]; <see cref="uint.MaxValue"/> never expires.
    /// </summary>
    internal uint ExpiryInterval { get; set; }

    /// <summary>The Session Expiry Interval in force, in seconds (0: the session ends with its connection).</summary>
    public uint ExpiryIntervalSeconds => ExpiryInterval;

    /// <summary>Whether the session ends when its connection does.</summary>
    internal bool EndsWithConnection => ExpiryInterval == 0;

    /// <summary>When a disconnected session expires (Environment.TickCount64), or long.MaxValue for never.</summary>
    internal long ExpiresAt { get; set; } = long.MaxValue;

    /// <summary>5.0: a will waiting out its Will Delay Interval; cancelled if the session is resumed first [MQTT-3.1.3-9].</summary>
    internal ApplicationMessage? PendingWill { get; set; }

    /// <summary>When <see cref="PendingWill"/> is due (Environment.TickCount64).</summary>
    internal long PendingWillAt { get; set; }

    /// <summary>Set once the session has ended; deliveries racing with its end are ignored.</summary>
    internal bool Ended { get; set; }

    /// <summary>
    /// Hands a message to this session: written now when connected and the window allows, else queued under
    /// the bounded-queue policy of <see cref="BrokerOptions.MaximumQueuedMessages"/>.
    /// </summary>
    internal void Deliver(in OutgoingMessage message)
    {
        lock (Gate)
        {
            if (Ended || message.Message.IsExpired)
            {
                return;
            }

            var connection = Connection;
            if (connection is not null)
            {
                if (!connection.FitsClient(message, out var overrides))
                {
                    Broker.Metrics.OversizeDropped();
                    return;
                }

                if (message.QoS == MqttQualityOfService.AtMostOnce)
                {
                    // QoS 0 to a connected client is written now or, when its send buffer is full, dropped.
                    if (!connection.TryWritePublish(message, overrides, 0, dup: false))
                    {
                        Broker.Metrics.QoS0Dropped();
                    }

                    return;
                }
                else if (_pending is not { Count: > 0 } && HasWindow(connection) && !connection.IsSendBufferFull)
                {
                    SendInflight(connection, message, overrides, sequence: -1);
                    return;
                }
                else if (!HasWindow(connection))
                {
                    // The in-flight window is full: the message waits in the queue.
                    Broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumInflightMessages));
                }
                else if (connection.IsSendBufferFull)
                {
                    // The client reads too slowly: the message waits in the queue, not in the send buffer.
                    Broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumSendBufferBytes));
                }
            }
            else if (message.QoS == MqttQualityOfService.AtMostOnce && !Broker.Options.QueueQoS0WhileOffline)
            {
                return;
            }

            Enqueue(message);
        }
    }

    /// <inheritdoc />
    void ISubscriber.Deliver(in OutgoingMessage message) => Deliver(message);

    /// <summary>Called when a client acknowledges with PUBACK: frees the slot and sends what waits.</summary>
    internal bool Acknowledge(ushort packetId, MqttQualityOfService expected)
    {
        lock (Gate)
        {
            int index = IndexOf(packetId);
            if (index < 0 || _inflight![index].Message.QoS != expected || (expected == MqttQualityOfService.ExactlyOnce && !_inflight[index].Released))
            {
                return false;
            }

            RemoveInflightLocked(index);
            PumpLocked();
            return true;
        }
    }

    /// <summary>Forgets an in-flight message the client refused (5.0 PUBREC with an error code).</summary>
    internal void Discard(ushort packetId)
    {
        lock (Gate)
        {
            int index = IndexOf(packetId);
            if (index >= 0)
            {
                RemoveInflightLocked(index);
                PumpLocked();
            }
        }
    }

    /// <summary>PUBREC for a QoS 2 message: it is now released; PUBREL follows. False when the id is unknown.</summary>
    internal bool MarkReleased(ushort packetId)
    {
        lock (Gate)
        {
            int index = IndexOf(packetId);
            if (index < 0 || _inflight![index].Message.QoS != MqttQualityOfService.ExactlyOnce)
            {
                return false;
            }

            // After PUBREC the message itself is not sent again, only PUBREL is [MQTT-4.3.3-4].
            _inflight[index].Released = true;
            JournalDeliveryLocked(JournalEntryKind.DeliveryReleased, MqttQualityOfService.ExactlyOnce, _inflight[index].Sequence);
            return true;
        }
    }

    /// <summary>
    /// A connection has taken this session up again: resend what is in flight, PUBLISH with DUP set, PUBREL
    /// for QoS 2 already received [MQTT-4.4.0-1], then send what was queued. Called under <see cref="Gate"/>.
    /// </summary>
    internal void ResumeLocked(ISessionConnection connection)
    {
        if (_inflight is not null)
        {
            // Messages whose onward delivery had started are resent even if expired since; one the new
            // connection's Maximum Packet Size cannot take is dropped.
            for (int i = 0; i < _inflight.Count; i++)
            {
                var inflight = _inflight[i];
                if (inflight.Released)
                {
                    connection.WritePubRel(inflight.PacketId, MqttReasonCode.Success);
                }
                else if (connection.FitsClient(inflight.Message, out var overrides))
                {
                    connection.TryWritePublish(inflight.Message, overrides, inflight.PacketId, dup: true);
                }
                else
                {
                    RemoveInflightLocked(i--);
                }
            }
        }

        PumpLocked();
    }

    /// <summary>Sends queued messages while the window and the send buffer allow.</summary>
    internal void Pump()
    {
        lock (Gate)
        {
            PumpLocked();
        }
    }

    /// <summary>
    /// Removes and returns the QoS 1/2 messages that came through shared subscriptions and are still queued or
    /// unacknowledged (QoS 2 already released is the client's now), for the router to give another member.
    /// </summary>
    internal List<OutgoingMessage>? TakeSharedMessages()
    {
        lock (Gate)
        {
            List<OutgoingMessage>? taken = null;
            if (_inflight is not null)
            {
                for (int i = _inflight.Count - 1; i >= 0; i--)
                {
                    var inflight = _inflight[i];
                    if (inflight.Message.SharedVia is not null && !inflight.Released)
                    {
                        (taken ??= []).Insert(0, inflight.Message);
                        RemoveInflightLocked(i);
                    }
                }
            }

            if (_pending is not null && _pending.Count > 0)
            {
                int count = _pending.Count;
                for (int i = 0; i < count; i++)
                {
                    var item = _pending.Dequeue();
                    if (item.Delivery.SharedVia is not null && item.Delivery.QoS != MqttQualityOfService.AtMostOnce)
                    {
                        (taken ??= []).Add(item.Delivery);
                        _pendingBytes -= item.Delivery.Message.Payload.Length;
                        JournalDeliveryLocked(JournalEntryKind.DeliveryRemoved, item.Delivery.QoS, item.Sequence);
                    }
                    else
                    {
                        _pending.Enqueue(item);
                    }
                }
            }

            return taken;
        }
    }

    /// <summary>Drops everything the session holds; called when it ends.</summary>
    internal void ClearLocked()
    {
        _pending = null;
        _pendingBytes = 0;
        _inflight = null;
        _incomingQoS2 = null;
        ClearSubscriptionsLocked();
    }

    private void PumpLocked()
    {
        var connection = Connection;
        if (connection is null || _pending is null)
        {
            return;
        }

        while (_pending.Count > 0 && !connection.IsSendBufferFull)
        {
            var (next, sequence) = _pending.Peek();
            if (next.Message.IsExpired || !connection.FitsClient(next, out var overrides))
            {
                // [MQTT-3.3.2-5] An expired message whose delivery had not started is deleted; so is one too large for this client.
                DequeuePending();
                JournalDeliveryLocked(JournalEntryKind.DeliveryRemoved, next.QoS, sequence);
                continue;
            }

            if (next.QoS == MqttQualityOfService.AtMostOnce)
            {
                DequeuePending();
                connection.TryWritePublish(next, overrides, 0, dup: false);
                continue;
            }

            if (!HasWindow(connection))
            {
                break;
            }

            DequeuePending();
            SendInflight(connection, next, overrides, sequence);
        }
    }

    private bool HasWindow(ISessionConnection connection) => (_inflight?.Count ?? 0) < connection.SendWindow;

    /// <summary>Sends a QoS 1/2 delivery with a new packet id: one from the queue (<paramref name="sequence"/>), or a new one (-1).</summary>
    private void SendInflight(ISessionConnection connection, in OutgoingMessage message, MqttPublishOverrides overrides, long sequence)
    {
        ushort packetId = NextPacketId();
        if (sequence < 0)
        {
            sequence = NextSequence();
            JournalAddedLocked(message, sequence, packetId);
        }
        else
        {
            JournalDeliveryLocked(JournalEntryKind.DeliverySent, message.QoS, sequence, packetId);
        }

        (_inflight ??= []).Add(new InflightMessage(packetId, message, sequence));
        connection.TryWritePublish(message, overrides, packetId, dup: false);
    }

    /// <summary>Forgets an in-flight delivery: acknowledged, refused, or no longer deliverable.</summary>
    private void RemoveInflightLocked(int index)
    {
        var inflight = _inflight![index];
        _inflight.RemoveAt(index);
        JournalDeliveryLocked(JournalEntryKind.DeliveryRemoved, inflight.Message.QoS, inflight.Sequence);
    }

    private void Enqueue(in OutgoingMessage message)
    {
        var queue = _pending ??= new Queue<QueuedMessage>();
        var options = Broker.Options;
        int size = message.Message.Payload.Length;
        while (queue.Count >= options.MaximumQueuedMessages || (options.MaximumQueuedBytes > 0 && _pendingBytes + size > options.MaximumQueuedBytes))
        {
            // The queue is full (by count or bytes). A QoS 0 message is dropped; a QoS 1/2 one takes the place of
            // the oldest queued QoS 0 message if there is one, else it is dropped. Both are counted.
            if (message.QoS == MqttQualityOfService.AtMostOnce || !RemoveOldestQoS0(queue))
            {
                Broker.Metrics.QueueFullDropped();
                return;
            }
        }

        long sequence = NextSequence();
        queue.Enqueue(new QueuedMessage(message, sequence));
        message.Message.MarkHeld(); // the queue outlives the dispatch; Pump reads it from other threads
        _pendingBytes += size;
        JournalAddedLocked(message, sequence, packetId: 0);
    }

    private void DequeuePending()
    {
        var item = _pending!.Dequeue();
        _pendingBytes -= item.Delivery.Message.Payload.Length;
    }

    /// <summary>Drops the queued (never sent) messages on topics <paramref name="revocation"/> refuses.</summary>
    private void DropQueuedLocked(SubscriptionRevocation revocation)
    {
        if (_pending is { Count: > 0 } queue)
        {
            RemoveQueued(queue, item => !revocation.Keeps(this, item.Message.Topic), firstOnly: false);
        }
    }

    private bool RemoveOldestQoS0(Queue<QueuedMessage> queue) =>
        RemoveQueued(queue, static item => item.QoS == MqttQualityOfService.AtMostOnce, firstOnly: true) > 0;

    /// <summary>
    /// Removes the queued messages <paramref name="remove"/> picks (only the oldest of them when
    /// <paramref name="firstOnly"/>), keeping the others in order and the byte count true; returns how many went.
    /// </summary>
    private int RemoveQueued(Queue<QueuedMessage> queue, Func<OutgoingMessage, bool> remove, bool firstOnly)
    {
        int count = queue.Count;
        int removed = 0;
        for (int i = 0; i < count; i++)
        {
            var item = queue.Dequeue();
            if ((removed == 0 || !firstOnly) && remove(item.Delivery))
            {
                removed++;
                _pendingBytes -= item.Delivery.Message.Payload.Length;
                JournalDeliveryLocked(JournalEntryKind.DeliveryRemoved, item.Delivery.QoS, item.Sequence);
                continue;
            }

            queue.Enqueue(item);
        }

        return removed;
    }

    private int IndexOf(ushort packetId)
    {
        if (_inflight is null)
        {
            return -1;
        }

        for (int i = 0; i < _inflight.Count; i++)
        {
            if (_inflight[i].PacketId == packetId)
            {
                return i;
            }
        }

        return -1;
    }

    private ushort NextPacketId()
    {
        // Ids run 1..65535 [MQTT-2.3.1-1]; skip any still in flight. The window is far below 65535, so this ends.
        while (true)
        {
            _lastPacketId = (ushort)(_lastPacketId == ushort.MaxValue ? 1 : _lastPacketId + 1);
            if (IndexOf(_lastPacketId) < 0)
            {
                return _lastPacketId;
            }
        }
    }
}
