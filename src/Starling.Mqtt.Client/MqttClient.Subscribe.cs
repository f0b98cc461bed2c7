using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>
    /// Subscribes and returns the SUBACK: one reason code per subscription, in order (granted QoS, or a
    /// failure code of 0x80 and above). <paramref name="properties"/> (subscription identifier, user
    /// properties) are sent in 5.0 only.
    /// </summary>
    public async Task<SubAckPacket> SubscribeAsync(IEnumerable<MqttSubscription> subscriptions, MqttProperties? properties = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(subscriptions);
        ThrowIfNotConnected();
        var packet = new SubscribePacket
        {
            Subscriptions = [.. subscriptions],
            Properties = _version == MqttProtocolVersion.V500 ? properties : null,
        };
        if (packet.Subscriptions.Count == 0)
        {
            throw new ArgumentException("At least one subscription is required.", nameof(subscriptions));
        }

        var id = _pending.Allocate(out var answer);
        try
        {
            packet.PacketId = id;
            await SendAsync(packet, cancellationToken).ConfigureAwait(false);
            return Expect<SubAckPacket>(await answer.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _pending.Release(id);
        }
    }

    /// <summary>Subscribes to one topic filter at <paramref name="qos"/>.</summary>
    public Task<SubAckPacket> SubscribeAsync(string topicFilter, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, MqttProperties? properties = null, CancellationToken cancellationToken = default)
        => SubscribeAsync([new MqttSubscription { TopicFilter = topicFilter, QoS = qos }], properties, cancellationToken);

    /// <summary>Unsubscribes and returns the UNSUBACK (with one reason code per filter in 5.0).</summary>
    public async Task<UnsubAckPacket> UnsubscribeAsync(IEnumerable<string> topicFilters, MqttProperties? properties = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(topicFilters);
        ThrowIfNotConnected();
        var packet = new UnsubscribePacket
        {
            TopicFilters = [.. topicFilters],
            Properties = _version == MqttProtocolVersion.V500 ? properties : null,
        };
        if (packet.TopicFilters.Count == 0)
        {
            throw new ArgumentException("At least one topic filter is required.", nameof(topicFilters));
        }

        var id = _pending.Allocate(out var answer);
        try
        {
            packet.PacketId = id;
            await SendAsync(packet, cancellationToken).ConfigureAwait(false);
            return Expect<UnsubAckPacket>(await answer.WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _pending.Release(id);
        }
    }

    /// <summary>Unsubscribes from one topic filter.</summary>
    public Task<UnsubAckPacket> UnsubscribeAsync(string topicFilter, CancellationToken cancellationToken = default)
        => UnsubscribeAsync([topicFilter], null, cancellationToken);
}
