using System.Text;

namespace Starling.Mqtt.Tests;

/// <summary>Builds raw packets byte by byte for the malformed-input tests.</summary>
internal static class Wire
{
    /// <summary>A packet: first byte, remaining length (variable byte integer), then the body parts.</summary>
    public static byte[] Packet(byte first, params byte[][] parts)
    {
        byte[] body = parts.SelectMany(p => p).ToArray();
        var bytes = new List<byte> { first };
        int length = body.Length;
        do
        {
            byte b = (byte)(length & 0x7F);
            length >>= 7;
            bytes.Add(length > 0 ? (byte)(b | 0x80) : b);
        }
        while (length > 0);
        bytes.AddRange(body);
        return [.. bytes];
    }

    public static byte[] B(params byte[] bytes) => bytes;

    public static byte[] U16(int value) => [(byte)(value >> 8), (byte)value];

    public static byte[] Str(string value) => Bin(Encoding.UTF8.GetBytes(value));

    public static byte[] Bin(byte[] value) => [.. U16(value.Length), .. value];

    /// <summary>A 5.0 property block: its length, then the raw property bytes.</summary>
    public static byte[] Props(params byte[] raw) => [(byte)raw.Length, .. raw];

    /// <summary>A CONNECT variable header up to keep alive (and 5.0 properties if given).</summary>
    public static byte[] ConnectHeader(MqttProtocolVersion version, byte flags, byte[]? properties = null)
    {
        byte[] name = version == MqttProtocolVersion.V310 ? Str("MQIsdp") : Str("MQTT");
        byte[] header = [.. name, (byte)version, flags, .. U16(60)];
        return version == MqttProtocolVersion.V500 ? [.. header, .. properties ?? [0]] : header;
    }
}
