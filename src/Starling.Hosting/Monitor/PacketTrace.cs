using System.Threading.Channels;
using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Hosting.Monitor;

/// <summary>A packet as the live trace shows it.</summary>
internal sealed record TracedPacket(DateTimeOffset Time, string Direction, string ClientId, string Type, string? Topic, int? QoS, bool? Retain, int? PacketId, int Size, string? Preview);

/// <summary>
/// The live traces open now: each follows one client id or one topic filter, and holds at most
/// <see cref="MonitorOptions.TraceBufferSize"/> packets for its viewer (the oldest go when the viewer falls behind, so
/// a slow browser never slows the broker).
/// </summary>
internal sealed class PacketTrace(MonitorOptions options)
{
    private volatile Follower[] _followers = [];
    private readonly Lock _gate = new();

    public bool IsEmpty => _followers.Length == 0;

    /// <summary>Starts a trace of <paramref name="clientId"/> or of PUBLISH packets matching <paramref name="filter"/>; dispose the result to stop it.</summary>
    public Follower Follow(string? clientId, string? filter)
    {
        var follower = new Follower(this, clientId, filter, Channel.CreateBounded<TracedPacket>(new BoundedChannelOptions(options.TraceBufferSize) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true }));
        lock (_gate)
        {
            _followers = [.. _followers, follower];
        }

        return follower;
    }

    public void OnPublish(ApplicationMessage message) =>
        Offer(message.SenderClientId, message.Topic, () => Packet("in", message.SenderClientId ?? "(broker)", message, packetId: null));

    public void OnDeliver(string clientId, in OutgoingMessage message, ushort packetId)
    {
        var copy = message;
        Offer(clientId, message.Message.Topic, () => Packet("out", clientId, copy.Message, packetId == 0 ? null : packetId, (int)copy.QoS, copy.Retain));
    }

    public void OnPacket(string clientId, bool incoming, MqttPacketType type, int size) =>
        Offer(clientId, topic: null, () => new TracedPacket(DateTimeOffset.UtcNow, incoming ? "in" : "out", clientId, Name(type), null, null, null, null, size, null));

    private void Offer(string? clientId, string? topic, Func<TracedPacket> make)
    {
        TracedPacket? packet = null;
        foreach (var follower in _followers)
        {
            if (follower.Wants(clientId, topic))
            {
                packet ??= make();
                follower.Channel.Writer.TryWrite(packet);
            }
        }
    }

    private TracedPacket Packet(string direction, string clientId, ApplicationMessage message, int? packetId, int? qos = null, bool? retain = null)
    {
        var payload = message.Payload.Span;
        var preview = payload[..Math.Min(payload.Length, options.PayloadPreviewBytes)];
        return new TracedPacket(DateTimeOffset.UtcNow, direction, clientId, "PUBLISH", message.Topic, qos ?? (int)message.QoS, retain ?? message.Retain, packetId, payload.Length, PayloadPreview.Text(preview));
    }

    private static string Name(MqttPacketType type) => type switch
    {
        MqttPacketType.PubAck => "PUBACK",
        MqttPacketType.PubRec => "PUBREC",
        MqttPacketType.PubRel => "PUBREL",
        MqttPacketType.PubComp => "PUBCOMP",
        MqttPacketType.SubAck => "SUBACK",
        MqttPacketType.UnsubAck => "UNSUBACK",
        MqttPacketType.PingReq => "PINGREQ",
        MqttPacketType.PingResp => "PINGRESP",
        MqttPacketType.ConnAck => "CONNACK",
        _ => type.ToString().ToUpperInvariant(),
    };

    private void Remove(Follower follower)
    {
        lock (_gate)
        {
            _followers = [.. _followers.Where(f => !ReferenceEquals(f, follower))];
        }
    }

    /// <summary>One open trace.</summary>
    internal sealed class Follower(PacketTrace trace, string? clientId, string? filter, Channel<TracedPacket> channel) : IDisposable
    {
        public Channel<TracedPacket> Channel { get; } = channel;

        /// <summary>By client id: all its packets; by filter: the PUBLISH packets whose topic matches.</summary>
        public bool Wants(string? client, string? topic) =>
            clientId is not null ? client == clientId : filter is not null && topic is not null && MqttTopic.Matches(filter, topic);

        public void Dispose()
        {
            trace.Remove(this);
            Channel.Writer.TryComplete();
        }
    }
}
