using StackExchange.Redis;

namespace Starling.Storage.Redis;

/// <summary>
/// The key layout: one hash of session headers (client id to <see cref="SessionHeaderCodec"/> bytes), per session a
/// hash of its deliveries (fields <c>m:seq</c> the message, <c>p:seq</c> its packet id once sent, <c>r:seq</c> once
/// released) and a set of its incoming QoS 2 ids, and one hash of retained messages (topic to message).
/// A delivery's fields are written apart so that sending or releasing it is one write, with no read first.
/// </summary>
internal sealed class RedisKeys(string prefix)
{
    public RedisKey Sessions { get; } = prefix + "sessions";

    public RedisKey Retained { get; } = prefix + "retained";

    public RedisKey Deliveries(string clientId) => prefix + "d:" + clientId;

    public RedisKey Incoming(string clientId) => prefix + "i:" + clientId;

    public static RedisValue Message(long sequence) => "m:" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static RedisValue PacketId(long sequence) => "p:" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static RedisValue Released(long sequence) => "r:" + sequence.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
