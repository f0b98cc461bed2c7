using System.Buffers;
using System.Collections;
using System.Reflection;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Tests;

/// <summary>A chained sequence segment, to build multi-segment <see cref="ReadOnlySequence{T}"/>.</summary>
internal sealed class ChunkSegment : ReadOnlySequenceSegment<byte>
{
    public ChunkSegment(ReadOnlyMemory<byte> memory) => Memory = memory;

    public ChunkSegment Append(ReadOnlyMemory<byte> memory)
    {
        var next = new ChunkSegment(memory) { RunningIndex = RunningIndex + Memory.Length };
        Next = next;
        return next;
    }
}

internal static class TestHelpers
{
    public static readonly MqttProtocolVersion[] AllVersions = [MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    /// <summary>Splits <paramref name="bytes"/> into segments of <paramref name="chunk"/> bytes.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int chunk = 1)
    {
        if (bytes.Length == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new ChunkSegment(bytes.AsMemory(0, Math.Min(chunk, bytes.Length)));
        ChunkSegment last = first;
        for (int i = chunk; i < bytes.Length; i += chunk)
        {
            last = last.Append(bytes.AsMemory(i, Math.Min(chunk, bytes.Length - i)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static byte[] Encode(MqttPacket packet, MqttProtocolVersion version)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, version, writer);
        Assert.Equal(MqttPacketWriter.GetSize(packet, version), writer.WrittenCount);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes one packet from contiguous bytes and from 1-byte segments; both must consume everything.</summary>
    public static MqttPacket Decode(byte[] bytes, MqttProtocolVersion version)
    {
        var contiguous = new ReadOnlySequence<byte>(bytes);
        Assert.True(MqttPacketReader.TryRead(ref contiguous, version, uint.MaxValue, out MqttPacket? packet));
        Assert.True(contiguous.IsEmpty);

        ReadOnlySequence<byte> segmented = Segmented(bytes);
        Assert.True(MqttPacketReader.TryRead(ref segmented, version, uint.MaxValue, out MqttPacket? fromSegments));
        Assert.True(segmented.IsEmpty);
        Assert.Equal(bytes, Encode(fromSegments, version == MqttProtocolVersion.Unknown ? ((ConnectPacket)fromSegments).ProtocolVersion : version));
        return packet;
    }

    /// <summary>Encodes, decodes (contiguous and 1-byte segments), checks the types match and re-encoding gives the same bytes.</summary>
    public static T RoundTrip<T>(T packet, MqttProtocolVersion version)
        where T : MqttPacket
    {
        byte[] bytes = Encode(packet, version);
        MqttPacket decoded = Decode(bytes, version);
        T typed = Assert.IsAssignableFrom<T>(decoded);
        Assert.Equal(packet.GetType(), decoded.GetType());
        Assert.Equal(bytes, Encode(typed, version));
        return typed;
    }

    public static MqttProtocolException ReadThrows(byte[] bytes, MqttProtocolVersion version, uint maximumPacketSize = uint.MaxValue)
    {
        var contiguous = new ReadOnlySequence<byte>(bytes);
        var e1 = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref contiguous, version, maximumPacketSize, out _));
        ReadOnlySequence<byte> segmented = Segmented(bytes);
        var e2 = Assert.Throws<MqttProtocolException>(() => MqttPacketReader.TryRead(ref segmented, version, maximumPacketSize, out _));
        Assert.Equal(e1.Rule, e2.Rule);
        Assert.Equal(e1.ReasonCode, e2.ReasonCode);
        return e1;
    }

    public static void AssertThrows(byte[] bytes, MqttProtocolVersion version, MqttReasonCode reason, string rule)
    {
        MqttProtocolException e = ReadThrows(bytes, version);
        Assert.Equal(rule, e.Rule);
        Assert.Equal(reason, e.ReasonCode);
    }

    /// <summary>Compares every public property of two <see cref="MqttProperties"/>.</summary>
    public static void AssertPropertiesEqual(MqttProperties? expected, MqttProperties? actual)
    {
        if (expected is null)
        {
            Assert.Null(actual);
            return;
        }

        Assert.NotNull(actual);
        foreach (PropertyInfo property in typeof(MqttProperties).GetProperties())
        {
            object? e = property.GetValue(expected);
            object? a = property.GetValue(actual);
            switch (e)
            {
                case null:
                    Assert.Null(a);
                    break;
                case ReadOnlyMemory<byte> memory:
                    Assert.Equal(memory.ToArray(), ((ReadOnlyMemory<byte>)a!).ToArray());
                    break;
                case IEnumerable list and not string:
                    Assert.Equal(list.Cast<object>().ToList(), ((IEnumerable)a!).Cast<object>().ToList());
                    break;
                default:
                    Assert.Equal(e, a);
                    break;
            }
        }
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
