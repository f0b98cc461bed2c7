using Starling.Broker.Diagnostics;
using Starling.Broker.Hooks;
using Starling.Broker.Storage;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>
/// Acknowledgements that mean durable: with a journal, what a PUBLISH, PUBREL or SUBSCRIBE changed is committed before
/// its acknowledgement leaves (<see cref="DurableAcks"/>); without one, acknowledgements are written at once.
/// </summary>
public sealed partial class MqttConnection
{
    private DurableAcks? _durableAcks;

    /// <summary>Starts counting the journal entries this thread appends (see <see cref="JournalWriter"/>); nothing without a journal.</summary>
    private void BeginJournalTracking()
    {
        if (_broker.Journal is not null)
        {
            JournalWriter.BeginTracking();
        }
    }

    /// <summary>The last journal position appended since <see cref="BeginJournalTracking"/>, 0 when none.</summary>
    private long EndJournalTracking() => _broker.Journal is null ? 0 : JournalWriter.EndTracking();

    /// <summary>Writes an acknowledgement once the journal is durable up to <paramref name="position"/>, in turn with the others.</summary>
    private void WriteAck(MqttPacket ack, long position)
    {
        if (DurableAcksOrNull() is { } acks)
        {
            acks.Write(ack, position);
        }
        else
        {
            WritePacket(ack);
        }
    }

    /// <summary>As <see cref="WriteAck"/>, and waits until it was written: what must follow it (retained messages after SUBACK) does.</summary>
    private Task WriteAckAndWaitAsync(MqttPacket ack, long position)
    {
        if (DurableAcksOrNull() is { } acks)
        {
            return acks.WriteAndWaitAsync(ack, position);
        }

        WritePacket(ack);
        return Task.CompletedTask;
    }

    private DurableAcks? DurableAcksOrNull() =>
        _broker.Journal is { } journal ? _durableAcks ??= new DurableAcks(journal, WritePacket, RefuseAck) : null;

    /// <summary>
    /// A QoS 1/2 PUBLISH while the store fails: refused before it is routed, so a message the client is told was not
    /// accepted is not delivered either; 5.0 says why (0x97 out of space, else 0x80), 3.1.1 can only close.
    /// </summary>
    private void RefuseWhileStoreFails(in MqttPublishView view, StoreFailedException failure)
    {
        _broker.Metrics.LimitHit("Storage");
        if (_version != MqttProtocolVersion.V500)
        {
            BrokerLog.StoreRefused(_broker.Logger, failure, _client?.ClientId);
            CloseConnection(CloseReason.ServerShutdown);
            return;
        }

        var reason = RefusalCode(failure);
        WriteAck(view.QoS == MqttQualityOfService.AtLeastOnce ? new PubAckPacket { PacketId = view.PacketId, ReasonCode = reason } : new PubRecPacket { PacketId = view.PacketId, ReasonCode = reason }, position: 0);
    }

    /// <summary>
    /// The store could not commit what <paramref name="ack"/> acknowledges. 5.0 refuses a PUBLISH with 0x97 (out of
    /// space) or 0x80, which the client may retry; 3.1.1 has no refusal, so the connection closes unacknowledged
    /// and the client sends the message again when it reconnects [MQTT-4.4.0-1]. Other acknowledgements go as they are:
    /// what they acknowledge holds while the broker runs.
    /// </summary>
    private void RefuseAck(MqttPacket ack, StoreFailedException failure)
    {
        BrokerLog.StoreRefused(_broker.Logger, failure, _client?.ClientId);
        var reason = RefusalCode(failure);
        switch (ack)
        {
            case PubAckPacket or PubRecPacket when _version != MqttProtocolVersion.V500:
                CloseConnection(CloseReason.ServerShutdown);
                break;
            case PubAckPacket pubAck:
                WritePacket(new PubAckPacket { PacketId = pubAck.PacketId, ReasonCode = reason });
                break;
            case PubRecPacket pubRec:
                _session?.ReleaseIncomingQoS2(pubRec.PacketId); // a failed PUBREC ends the flow (5.0 section 4.3.3)
                WritePacket(new PubRecPacket { PacketId = pubRec.PacketId, ReasonCode = reason });
                break;
            default:
                WritePacket(ack);
                break;
        }
    }

    /// <summary>The 5.0 reason code for a store that could not keep a message: 0x97 when it is out of space, else 0x80.</summary>
    private static MqttReasonCode RefusalCode(StoreFailedException failure) =>
        failure.IsFull ? MqttReasonCode.QuotaExceeded : MqttReasonCode.UnspecifiedError;
}
