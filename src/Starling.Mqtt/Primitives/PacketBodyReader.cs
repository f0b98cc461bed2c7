using System.Buffers;

namespace Starling.Mqtt.Primitives;

/// <summary>
/// Reads the data types of section 1.5 from one packet body. Every read that would run past the body throws
/// Malformed Packet; nothing is allocated except by <see cref="ReadString"/> and <see cref="ReadBinary"/>.
/// </summary>
internal ref struct PacketBodyReader
{
    private SequenceReader<byte> _reader;

    public PacketBodyReader(in ReadOnlySequence<byte> body) => _reader = new SequenceReader<byte>(body);

    /// <summary>Bytes not yet read.</summary>
    public readonly long Remaining => _reader.Remaining;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => _reader.End;

    public byte ReadByte(string field)
    {
        if (!_reader.TryRead(out byte value))
        {
            throw MqttErrors.Malformed(MqttErrors.Truncated, $"The packet ends before its {field}.");
        }

        return value;
    }

    public ushort ReadUInt16(string field)
    {
        if (!_reader.TryReadBigEndian(out short value))
        {
            throw MqttErrors.Malformed(MqttErrors.Truncated, $"The packet ends before its {field}.");
        }

        return (ushort)value;
    }

    public uint ReadUInt32(string field)
    {
        if (!_reader.TryReadBigEndian(out int value))
        {
            throw MqttErrors.Malformed(MqttErrors.Truncated, $"The packet ends before its {field}.");
        }

        return (uint)value;
    }

    /// <summary>A variable byte integer of at most four bytes [MQTT-1.5.5-1].</summary>
    public int ReadVariableByteInteger(string field)
    {
        if (!VariableByteInteger.TryRead(ref _reader, field, out int value))
        {
            throw MqttErrors.Malformed(MqttErrors.Truncated, $"The packet ends before its {field}.");
        }

        return value;
    }

    /// <summary>The next <paramref name="length"/> bytes, as a slice of the body.</summary>
    public ReadOnlySequence<byte> ReadBytes(long length, string field)
    {
        if (length < 0 || length > _reader.Remaining)
        {
            throw MqttErrors.Malformed(MqttErrors.Truncated, $"The {field} runs past the end of the packet.");
        }

        ReadOnlySequence<byte> slice = _reader.UnreadSequence.Slice(0, length);
        _reader.Advance(length);
        return slice;
    }

    /// <summary>Everything not yet read.</summary>
    public ReadOnlySequence<byte> ReadRest()
    {
        ReadOnlySequence<byte> rest = _reader.UnreadSequence;
        _reader.AdvanceToEnd();
        return rest;
    }

    /// <summary>Binary Data (section 1.5.6): a two byte length and the bytes, as a slice.</summary>
    public ReadOnlySequence<byte> ReadBinarySlice(string field)
    {
        ushort length = ReadUInt16(field); // no concatenation: this path must not allocate
        return ReadBytes(length, field);
    }

    /// <summary>Binary Data copied to a new array.</summary>
    public byte[] ReadBinary(string field) => ReadBinarySlice(field).ToArray();

    /// <summary>A UTF-8 Encoded String (section 1.5.4), checked [MQTT-1.5.3-1] [MQTT-1.5.3-2], as a slice.</summary>
    public ReadOnlySequence<byte> ReadStringSlice(string field)
    {
        ReadOnlySequence<byte> bytes = ReadBinarySlice(field);
        if (bytes.PositionOf((byte)0) is not null)
        {
            throw MqttErrors.Malformed("MQTT-1.5.3-2", $"The {field} holds U+0000.");
        }

        if (!Utf8Validator.IsValid(bytes))
        {
            throw MqttErrors.Malformed("MQTT-1.5.3-1", $"The {field} is not well-formed UTF-8.");
        }

        return bytes;
    }

    /// <summary>A UTF-8 Encoded String, checked and decoded.</summary>
    public string ReadString(string field)
    {
        ReadOnlySequence<byte> bytes = ReadStringSlice(field);
        return System.Text.EncodingExtensions.GetString(System.Text.Encoding.UTF8, bytes);
    }

    /// <summary>Throws Malformed Packet unless every byte of the body has been read.</summary>
    public readonly void EnsureEnd(string packet)
    {
        if (!_reader.End)
        {
            throw MqttErrors.Malformed(MqttErrors.TrailingBytes, $"{_reader.Remaining} byte(s) are left over after the {packet}.");
        }
    }
}
