using System.Buffers.Binary;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Writing;

/// <summary>Writes the data types of section 1.5 sequentially into a span sized beforehand.</summary>
internal ref struct SpanWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public SpanWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    /// <summary>Bytes written so far.</summary>
    public readonly int Position => _position;

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteVariableByteInteger(int value) => _position += VariableByteInteger.Write(_span[_position..], value);

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_span[_position..]);
        _position += bytes.Length;
    }

    /// <summary>Binary Data: a two byte length, then the bytes.</summary>
    public void WriteBinary(ReadOnlySpan<byte> bytes)
    {
        WriteUInt16((ushort)bytes.Length);
        WriteBytes(bytes);
    }

    /// <summary>A UTF-8 Encoded String: a two byte length, then the UTF-8 bytes (length checked by <see cref="Sizes.String"/>).</summary>
    public void WriteString(string value)
    {
        int length = System.Text.Encoding.UTF8.GetBytes(value, _span[(_position + 2)..]);
        WriteUInt16((ushort)length);
        _position += length;
    }

    /// <summary>The fixed header: first byte and remaining length.</summary>
    public void WriteFixedHeader(MqttPacketType type, byte flags, int remainingLength)
    {
        WriteByte((byte)(((int)type << 4) | flags));
        WriteVariableByteInteger(remainingLength);
    }
}
