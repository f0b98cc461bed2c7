using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>
    /// Publishes a message. QoS 0 completes once written; QoS 1 when PUBACK arrives; QoS 2 after
    /// PUBREC, PUBREL and PUBCOMP. Returns the reason code of the final acknowledgement (always Success
    /// before 5.0, and for QoS 0). A failure code on PUBREC ends the exchange and is returned.
    /// </summary>
    public Task<MqttReasonCode> PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, bool retain = false, MqttProperties? properties = null, CancellationToken cancellationToken = default)
        => PublishAsync(new PublishPacket { Topic = topic, Payload = payload, QoS = qos, Retain = retain, Properties = properties }, cancellationToken);

    /// <summary>Publishes a UTF-8 string payload; see <see cref="PublishAsync(string, ReadOnlyMemory{byte}, MqttQualityOfService, bool, MqttProperties?, CancellationToken)"/>.</summary>
    public Task<MqttReasonCode> PublishAsync(string topic, string payload, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, bool retain = false, MqttProperties? properties = null, CancellationToken cancellationToken = default)
        => PublishAsync(topic, System.Text.Encoding.UTF8.GetBytes(payload), qos, retain, properties, cancellationToken);

    /// <summary>
    /// Publishes <paramref name="packet"/> as given (DUP flag included), except that for QoS 1 and 2 its
    /// <see cref="PublishPacket.PacketId"/> is replaced by a free one. Waits for the acknowledgements as
    /// the other overload does. At most the broker's Receive Maximum of QoS 1 and 2 publications are in flight.
    /// </summary>
    public async Task<MqttReasonCode> PublishAsync(PublishPacket packet, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(packet);
        ThrowIfNotConnected();
        if (_version != MqttProtocolVersion.V500)
        {
            packet.Properties = null;
        }

        if (packet.QoS == MqttQualityOfService.AtMostOnce)
        {
            packet.PacketId = 0;
            await SendAsync(packet, cancellationToken).ConfigureAwait(false);
            return MqttReasonCode.Success;
        }

        var quota = _sendQuota!;
        await quota.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var id = _pending.Allocate(out var answer);
            try
            {
                packet.PacketId = id;
                await SendAsync(packet, cancellationToken).ConfigureAwait(false);
                var ack = await answer.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (packet.QoS == MqttQualityOfService.AtLeastOnce)
                {
                    return Expect<PubAckPacket>(ack).ReasonCode;
                }

                var pubRec = Expect<PubRecPacket>(ack);
                if (pubRec.ReasonCode.IsFailure())
                {
                    return pubRec.ReasonCode;
                }

                // The read loop has sent the PUBREL and armed the wait for PUBCOMP already [MQTT-4.6.0-3].
                return Expect<PubCompPacket>(await _pending.Current(id).WaitAsync(cancellationToken).ConfigureAwait(false)).ReasonCode;
            }
            finally
            {
                _pending.Release(id);
            }
        }
        finally
        {
            quota.Release();
        }
    }

    /// <summary>Checks that the broker answered with the expected packet type.</summary>
    private static T Expect<T>(MqttPacket answer)
        where T : MqttPacket
        => answer as T ?? throw new MqttClientException($"Expected {typeof(T).Name}, the broker answered {answer.Type}.", MqttReasonCode.ProtocolError, answer);
}
