using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Starling.Broker.Routing;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Storage;

/// <summary>
/// A <see cref="StoredMessage"/> as one byte array, for backends that keep a message in one column or value (SQLite,
/// Redis). The message itself is a 5.0 PUBLISH as the packet library writes it, so topic, payload, flags and every
/// property round-trip through code that is already tested against the specification; the expiry time and the
/// sender go in a small header before it.
/// </summary>
/// <remarks>Layout: format byte (1), expiry as Unix milliseconds (8, little-endian; <see cref="long.MinValue"/> for none),
/// sender length (4, -1 for none) and its UTF-8, then the PUBLISH packet.</remarks>
public static class StoredMessageCodec
{
    private const byte Format = 1;
    private const int HeaderSize = 1 + 8 + 4;

    /// <summary>Encodes <paramref name="message"/>.</summary>
    public static byte[] Encode(StoredMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var writer = new ArrayBufferWriter<byte>(HeaderSize + message.Payload.Length + message.Topic.Length + 16);
        Encode(message, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Encodes <paramref name="message"/> after whatever <paramref name="writer"/> holds (a frame's own header, say).</summary>
    public static void Encode(StoredMessage message, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(writer);
        Encode(message.Topic, message.Payload, message.QoS, message.Retain, message.Properties, message.SenderClientId, message.ExpiresAtUtc, writer);
    }

    /// <summary>
    /// Encodes a live message as <see cref="Encode(StoredMessage)"/> would its stored form, without copying its payload
    /// into a <see cref="StoredMessage"/> first: for a message encoded once, on its way out (to another cluster node).
    /// </summary>
    public static void Encode(ApplicationMessage message, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(writer);
        Encode(message.Topic, message.Payload, message.QoS, message.Retain, message.Properties, message.SenderClientId, StoreClock.Now().ToUtc(message.ExpiresAt), writer);
    }

    private static void Encode(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos, bool retain, MqttProperties? properties, string? sender, DateTimeOffset? expiresAtUtc, IBufferWriter<byte> writer)
    {
        var header = writer.GetSpan(HeaderSize);
        header[0] = Format;
        BinaryPrimitives.WriteInt64LittleEndian(header[1..], expiresAtUtc?.ToUnixTimeMilliseconds() ?? long.MinValue);
        int senderLength = sender is null ? -1 : Encoding.UTF8.GetByteCount(sender);
        BinaryPrimitives.WriteInt32LittleEndian(header[9..], senderLength);
        writer.Advance(HeaderSize);
        if (sender is not null)
        {
            writer.Advance(Encoding.UTF8.GetBytes(sender, writer.GetSpan(senderLength)));
        }

        var publish = new PublishPacket
        {
            Topic = topic,
            Payload = payload,
            QoS = qos,
            Retain = retain,
            PacketId = qos == MqttQualityOfService.AtMostOnce ? (ushort)0 : (ushort)1, // required on the wire, ignored here
            Properties = properties,
        };
        MqttPacketWriter.Write(publish, MqttProtocolVersion.V500, writer);
    }

    /// <summary>Decodes what <see cref="Encode(StoredMessage)"/> wrote; <see cref="InvalidDataException"/> for anything else.</summary>
    public static StoredMessage Decode(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Decode(data.AsMemory());
    }

    /// <summary>Decodes what <see cref="Encode(StoredMessage)"/> wrote, held in part of a larger buffer.</summary>
    public static StoredMessage Decode(ReadOnlyMemory<byte> data)
    {
        var span = data.Span;
        if (span.Length < HeaderSize || span[0] != Format)
        {
            throw new InvalidDataException($"Not a stored message (format {(span.Length > 0 ? span[0] : -1)}, {span.Length} bytes).");
        }

        long expires = BinaryPrimitives.ReadInt64LittleEndian(span[1..]);
        int senderLength = BinaryPrimitives.ReadInt32LittleEndian(span[9..]);
        if (senderLength < -1 || senderLength > span.Length - HeaderSize)
        {
            throw new InvalidDataException("A stored message's sender length is out of range.");
        }

        string? sender = senderLength < 0 ? null : Encoding.UTF8.GetString(span.Slice(HeaderSize, senderLength));
        int packetStart = HeaderSize + Math.Max(0, senderLength);
        var packetBytes = new ReadOnlySequence<byte>(data[packetStart..]);
        try
        {
            if (!MqttPacketReader.TryRead(ref packetBytes, MqttProtocolVersion.V500, uint.MaxValue, out var packet) || packet is not PublishPacket publish || !packetBytes.IsEmpty)
            {
                throw new InvalidDataException("A stored message does not hold exactly one PUBLISH.");
            }

            return new StoredMessage(
                publish.Topic,
                OwnedArray(publish.Payload),
                publish.QoS,
                publish.Retain,
                publish.Properties,
                sender,
                expires == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(expires));
        }
        catch (MqttProtocolException ex)
        {
            throw new InvalidDataException("A stored message's PUBLISH is malformed: " + ex.Message, ex);
        }
    }

    /// <summary>
    /// The payload as an array: the one the packet reader made for it (a packet read owns a copy of exactly its
    /// payload), not a second copy of it. Every message a backend loads and every one another node sends goes through here.
    /// </summary>
    private static byte[] OwnedArray(ReadOnlyMemory<byte> payload) =>
        MemoryMarshal.TryGetArray(payload, out var segment) && segment.Array is { } array && segment.Offset == 0 && segment.Count == array.Length
            ? array
            : payload.ToArray();
}
