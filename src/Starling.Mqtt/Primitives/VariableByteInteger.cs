using System.Buffers;

namespace Starling.Mqtt.Primitives;

/// <summary>The variable byte integer of section 1.5.5 (5.0) / 2.2.3 (3.1.1): 7 bits a byte, at most four bytes.</summary>
internal static class VariableByteInteger
{
    /// <summary>The largest value four bytes can hold.</summary>
    public const int MaxValue = 268_435_455;

    /// <summary>The number of bytes <paramref name="value"/> takes.</summary>
    public static int GetSize(int value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };

    /// <summary>Writes <paramref name="value"/> at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, int value)
    {
        int i = 0;
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0)
            {
                b |= 0x80;
            }

            destination[i++] = b;
        }
        while (value > 0);
        return i;
    }

    /// <summary>
    /// Decodes a variable byte integer at the reader's position: false when the bytes end before it does (the reader
    /// has then moved; callers either wait for more or call the packet truncated). Throws Malformed Packet for more
    /// than four bytes, or for a value not in the fewest bytes [MQTT-1.5.5-1]: a last byte of zero after continuation
    /// bytes (0x80 0x00 for 0) is the only longer form, so only the final byte and its position need checking.
    /// </summary>
    public static bool TryRead(ref SequenceReader<byte> reader, string field, out int value)
    {
        value = 0;
        for (int i = 0; i < 4; i++)
        {
            if (!reader.TryRead(out byte b))
            {
                return false;
            }

            value |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                if (b == 0 && i > 0)
                {
                    throw MqttErrors.Malformed("MQTT-1.5.5-1", $"The {field} is not encoded in the fewest bytes.");
                }

                return true;
            }
        }

        throw MqttErrors.Malformed("MQTT-1.5.5-1", $"The {field} takes more than four bytes.");
    }
}
