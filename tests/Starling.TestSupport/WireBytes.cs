using System.Text;
using Starling.Mqtt;

namespace Starling.TestSupport;

/// <summary>
/// Hand-made packet bytes, built field by field so a test can get any of them wrong on purpose: the malformed-input
/// tests of the packet library and of the live broker share them.
/// </summary>
public static class WireBytes
{
    /// <summary>A packet: first byte, remaining length (variable byte integer), then the body parts.</summary>
    public static byte[] Packet(byte first, params byte[][] parts)
    {
        byte[] body = parts.SelectMany(p => p).ToArray();
        return [first, .. Length(body.Length), .. body];
    }

    /// <summary>A variable byte integer in the fewest bytes [MQTT-1.5.5-1].</summary>
    public static byte[] Length(int length)
    {
        var bytes = new List<byte>();
        do
        {
            byte b = (byte)(length & 0x7F);
            length >>= 7;
            bytes.Add(length > 0 ? (byte)(b | 0x80) : b);
        }
        while (length > 0);
        return [.. bytes];
    }

    /// <summary>Raw bytes, for readability next to the other parts.</summary>
    public static byte[] B(params byte[] bytes) => bytes;

    /// <summary>A two byte integer, big-endian.</summary>
    public static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    /// <summary>A UTF-8 string with its two byte length.</summary>
    public static byte[] Str(string value) => Bin(Encoding.UTF8.GetBytes(value));

    /// <summary>Binary data with its two byte length.</summary>
    public static byte[] Bin(byte[] value) => [.. U16(value.Length), .. value];

    /// <summary>A 5.0 property block: its length, then the raw property bytes.</summary>
    public static byte[] Props(params byte[] raw) => [(byte)raw.Length, .. raw];

    /// <summary>
    /// A CONNECT variable header up to keep alive (and 5.0 properties, empty unless given); the protocol name is
    /// "MQIsdp" for 3.1 and "MQTT" otherwise.
    /// </summary>
    public static byte[] ConnectHeader(MqttProtocolVersion version, byte flags, byte[]? properties = null)
    {
        byte[] name = version == MqttProtocolVersion.V310 ? Str("MQIsdp") : Str("MQTT");
        byte[] header = [.. name, (byte)version, flags, .. U16(60)];
        return version == MqttProtocolVersion.V500 ? [.. header, .. properties ?? [0]] : header;
    }

    /// <summary>A whole CONNECT with the given flags, then the client id and the rest of the payload.</summary>
    public static byte[] Connect(MqttProtocolVersion version, byte flags, byte[] clientId, params byte[][] rest)
        => Packet(0x10, [.. ConnectHeader(version, flags), .. clientId, .. rest.SelectMany(p => p)]);
}
