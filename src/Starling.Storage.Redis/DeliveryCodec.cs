using System.Buffers.Binary;
using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Storage.Redis;

/// <summary>One delivery's <c>m:seq</c> field: QoS, RETAIN, the subscription identifiers, then the message (<see cref="StoredMessageCodec"/>).</summary>
internal static class DeliveryCodec
{
    private const int FixedBytes = 2 + 2; // QoS, RETAIN, identifier bytes (ushort)

    public static byte[] Encode(MqttQualityOfService qos, bool retain, uint[]? subscriptionIds, byte[] message)
    {
        byte[] ids = subscriptionIds is null ? [] : SubscriptionIdBytes.Encode(subscriptionIds);
        var bytes = new byte[FixedBytes + ids.Length + message.Length];
        bytes[0] = (byte)qos;
        bytes[1] = retain ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), checked((ushort)ids.Length));
        ids.CopyTo(bytes, FixedBytes);
        message.CopyTo(bytes, FixedBytes + ids.Length);
        return bytes;
    }

    public static StoredDelivery Decode(byte[] bytes, long sequence)
    {
        if (bytes.Length < FixedBytes)
        {
            throw new FormatException("A stored delivery is shorter than its header.");
        }

        int idBytes = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2));
        if (FixedBytes + idBytes > bytes.Length)
        {
            throw new FormatException("A stored delivery's identifiers run past its end.");
        }

        uint[]? ids = idBytes == 0 ? null : SubscriptionIdBytes.Decode(bytes[FixedBytes..(FixedBytes + idBytes)]);
        var message = StoredMessageCodec.Decode(bytes[(FixedBytes + idBytes)..]);
        return new StoredDelivery(message, (MqttQualityOfService)bytes[0], bytes[1] == 1, ids, sequence);
    }
}
