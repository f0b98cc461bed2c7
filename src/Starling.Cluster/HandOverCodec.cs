using System.Text.Json;
using System.Text.Json.Serialization;
using Starling.Broker.Sessions;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Cluster;

/// <summary>
/// What crosses NATS when a session moves between nodes: the request (which client, whether its state is wanted), the
/// session's whole state (<see cref="StoredSession"/> as JSON, its messages as <see cref="StoredMessageCodec"/>
/// bytes), and the owner record kept in the sessions bucket.
/// </summary>
internal static class HandOverCodec
{
    public static byte[] EncodeRequest(string clientId, bool export) =>
        JsonSerializer.SerializeToUtf8Bytes(new HandOverRequest(clientId, export), HandOverJson.Default.HandOverRequest);

    public static HandOverRequest DecodeRequest(byte[] data) =>
        JsonSerializer.Deserialize(data, HandOverJson.Default.HandOverRequest) ?? throw new FormatException("An empty hand-over request.");

    public static byte[] EncodeOwner(string node, long epoch) =>
        JsonSerializer.SerializeToUtf8Bytes(new SessionOwner(node, epoch), HandOverJson.Default.SessionOwner);

    public static SessionOwner DecodeOwner(byte[] data) =>
        JsonSerializer.Deserialize(data, HandOverJson.Default.SessionOwner) ?? throw new FormatException("An empty owner record.");

    public static byte[] EncodeSession(StoredSession session) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new SessionState(
                session.ClientId,
                session.Username,
                session.ExpiryInterval,
                Milliseconds(session.ExpiresAtUtc),
                session.Will is null ? null : StoredMessageCodec.Encode(session.Will),
                Milliseconds(session.WillAtUtc),
                [.. session.Subscriptions],
                [.. session.Inflight.Select(i => new InflightState(i.PacketId, Delivery(i.Delivery), i.Released))],
                [.. session.Pending.Select(Delivery)],
                [.. session.IncomingQoS2],
                session.LastPacketId),
            HandOverJson.Default.SessionState);

    public static StoredSession DecodeSession(byte[] data)
    {
        var state = JsonSerializer.Deserialize(data, HandOverJson.Default.SessionState) ?? throw new FormatException("An empty session state.");
        return new StoredSession(
            state.ClientId,
            state.Username,
            state.ExpiryInterval,
            Time(state.ExpiresAt),
            state.Will is { Length: > 0 } will ? StoredMessageCodec.Decode(will) : null,
            Time(state.WillAt),
            state.Subscriptions,
            [.. state.Inflight.Select(i => new StoredInflight(i.PacketId, Delivery(i.Delivery), i.Released))],
            [.. state.Pending.Select(Delivery)],
            state.IncomingQoS2,
            state.LastPacketId);
    }

    /// <summary>A session as its owner keeps it in the states bucket, for another node to take up if the owner dies.</summary>
    public static byte[] EncodeState(string node, ClusterSessionState state) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new KeptState(node, state.Connected, state.ConnectionWill is null ? null : StoredMessageCodec.Encode(state.ConnectionWill), state.WillDelaySeconds, EncodeSession(state.Session)),
            HandOverJson.Default.KeptState);

    public static (string Node, ClusterSessionState State) DecodeState(byte[] data)
    {
        var kept = JsonSerializer.Deserialize(data, HandOverJson.Default.KeptState) ?? throw new FormatException("An empty session state.");
        var will = kept.ConnectionWill is { Length: > 0 } bytes ? StoredMessageCodec.Decode(bytes) : null;
        return (kept.Node, new ClusterSessionState(DecodeSession(kept.Session), kept.Connected, will, kept.WillDelaySeconds));
    }

    private static DeliveryState Delivery(StoredDelivery d) => new(StoredMessageCodec.Encode(d.Message), d.QoS, d.Retain, d.SubscriptionIds, d.Sequence);

    private static StoredDelivery Delivery(DeliveryState d) => new(StoredMessageCodec.Decode(d.Message), d.QoS, d.Retain, d.SubscriptionIds, d.Sequence);

    private static long? Milliseconds(DateTimeOffset? time) => time?.ToUnixTimeMilliseconds();

    private static DateTimeOffset? Time(long? milliseconds) => milliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    internal sealed record HandOverRequest(string ClientId, bool Export);

    /// <summary>A states bucket entry: the owner, and the session (encoded as in a hand-over) with its connected client's will.</summary>
    internal sealed record KeptState(string Node, bool Connected, byte[]? ConnectionWill, uint WillDelaySeconds, byte[] Session);

    /// <summary>The node that owns a session, and the epoch that rises with every claim (a stale owner's is lower).</summary>
    internal sealed record SessionOwner(string Node, long Epoch);

    internal sealed record DeliveryState(byte[] Message, MqttQualityOfService QoS, bool Retain, uint[]? SubscriptionIds, long Sequence);

    internal sealed record InflightState(ushort PacketId, DeliveryState Delivery, bool Released);

    internal sealed record SessionState(
        string ClientId,
        string? Username,
        uint ExpiryInterval,
        long? ExpiresAt,
        byte[]? Will,
        long? WillAt,
        StoredSubscription[] Subscriptions,
        InflightState[] Inflight,
        DeliveryState[] Pending,
        ushort[] IncomingQoS2,
        ushort LastPacketId);
}

[JsonSerializable(typeof(HandOverCodec.HandOverRequest))]
[JsonSerializable(typeof(HandOverCodec.SessionOwner))]
[JsonSerializable(typeof(HandOverCodec.SessionState))]
[JsonSerializable(typeof(HandOverCodec.KeptState))]
internal sealed partial class HandOverJson : JsonSerializerContext;
