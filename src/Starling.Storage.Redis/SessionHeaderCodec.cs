using System.Text.Json;
using System.Text.Json.Serialization;
using Starling.Broker.Storage;

namespace Starling.Storage.Redis;

/// <summary>A session's own fields and subscriptions as one JSON value (its will as <see cref="StoredMessageCodec"/> bytes).</summary>
internal static class SessionHeaderCodec
{
    public static byte[] Encode(StoredSession session) =>
        JsonSerializer.SerializeToUtf8Bytes(
            new Header(
                session.Username,
                session.ExpiryInterval,
                session.ExpiresAtUtc?.ToUnixTimeMilliseconds(),
                session.Will is null ? null : StoredMessageCodec.Encode(session.Will),
                session.WillAtUtc?.ToUnixTimeMilliseconds(),
                session.LastPacketId,
                [.. session.Subscriptions]),
            HeaderJson.Default.Header);

    /// <summary>The header of <paramref name="clientId"/>, with the deliveries and incoming ids given.</summary>
    public static StoredSession Decode(string clientId, byte[] bytes, IReadOnlyList<StoredInflight> inflight, IReadOnlyList<StoredDelivery> pending, IReadOnlyList<ushort> incoming)
    {
        var header = JsonSerializer.Deserialize(bytes, HeaderJson.Default.Header) ?? throw new FormatException($"The session header of '{clientId}' is empty.");
        return new StoredSession(
            clientId,
            header.Username,
            header.ExpiryInterval,
            Time(header.ExpiresAt),
            header.Will is { Length: > 0 } will ? StoredMessageCodec.Decode(will) : null,
            Time(header.WillAt),
            header.Subscriptions,
            inflight,
            pending,
            incoming,
            header.LastPacketId);
    }

    private static DateTimeOffset? Time(long? milliseconds) => milliseconds is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    internal sealed record Header(string? Username, uint ExpiryInterval, long? ExpiresAt, byte[]? Will, long? WillAt, ushort LastPacketId, StoredSubscription[] Subscriptions);
}

[JsonSerializable(typeof(SessionHeaderCodec.Header))]
internal sealed partial class HeaderJson : JsonSerializerContext;
