using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Writing;

/// <summary>Encoded sizes of the data types of section 1.5; they throw for values the wire cannot carry.</summary>
internal static class Sizes
{
    /// <summary>The size of a UTF-8 Encoded String with its two byte length.</summary>
    public static int String(string value)
    {
        int length = System.Text.Encoding.UTF8.GetByteCount(value);
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException($"A string of {length} UTF-8 bytes is longer than the 65,535 bytes MQTT allows.", nameof(value));
        }

        return 2 + length;
    }

    /// <summary>The size of Binary Data with its two byte length.</summary>
    public static int Binary(int length)
    {
        if (length > ushort.MaxValue)
        {
            throw new ArgumentException($"Binary data of {length} bytes is longer than the 65,535 bytes MQTT allows.", nameof(length));
        }

        return 2 + length;
    }

    /// <summary>The size of a whole packet whose remaining length is <paramref name="remainingLength"/>.</summary>
    public static int Packet(long remainingLength)
    {
        if (remainingLength > VariableByteInteger.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(remainingLength), remainingLength, "The packet is larger than the 268,435,455 bytes MQTT allows.");
        }

        return 1 + VariableByteInteger.GetSize((int)remainingLength) + (int)remainingLength;
    }
}
