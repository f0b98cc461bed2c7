using System.Text;
using Starling.Mqtt;

namespace Starling.Interop.Tests.Malformed;

/// <summary>Hand-made packet bytes for the malformed-input tests against the live broker.</summary>
internal static class Bytes
{
    /// <summary>A packet: first byte, remaining length (variable byte integer), then the body parts.</summary>
    public static byte[] Packet(byte first, params byte[][] parts)
    {
        byte[] body = parts.SelectMany(p => p).ToArray();
        return [first, .. Length(body.Length), .. body];
    }

    /// <summary>A variable byte integer.</summary>
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

    public static byte[] B(params byte[] bytes) => bytes;

    public static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    public static byte[] Str(string value) => Bin(Encoding.UTF8.GetBytes(value));

    public static byte[] Bin(byte[] value) => [.. U16(value.Length), .. value];

    /// <summary>A 5.0 property block: its length, then the raw property bytes.</summary>
    public static byte[] Props(params byte[] raw) => [(byte)raw.Length, .. raw];

    /// <summary>A CONNECT variable header up to keep alive (and 5.0 properties, empty unless given).</summary>
    public static byte[] ConnectHeader(MqttProtocolVersion version, byte flags, byte[]? properties = null)
    {
        byte[] header = [.. Str("MQTT"), (byte)version, flags, .. U16(60)];
        return version == MqttProtocolVersion.V500 ? [.. header, .. properties ?? [0]] : header;
    }

    /// <summary>A whole CONNECT with clean start/session, the given extra flags and payload after the client id.</summary>
    public static byte[] Connect(MqttProtocolVersion version, byte flags, byte[] clientId, params byte[][] rest)
        => Packet(0x10, [.. ConnectHeader(version, flags), .. clientId, .. rest.SelectMany(p => p)]);
}
