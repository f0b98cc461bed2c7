using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Starling.Broker.Routing;
using Starling.Broker.Storage;

namespace Starling.Cluster;

/// <summary>
/// What one node sends the others on a topic subject: the sending node and its number for the message (which
/// <see cref="ClusterDeduplicator"/> keys on), then the message as <see cref="StoredMessageCodec"/> writes it. Origin
/// and number travel in the payload, not as NATS headers: a header block costs a dictionary to build and one to parse
/// per message on each side, on the path every crossing message takes.
/// </summary>
/// <remarks>Layout: version (1), origin length (1) and its UTF-8, number (8, little-endian), the stored message.</remarks>
internal static class ClusterFrame
{
    private const byte Version = 1;

    /// <summary>The longest node name a frame carries, in UTF-8 bytes.</summary>
    public const int MaxOriginLength = byte.MaxValue;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_writer;

    /// <summary>
    /// The frame of <paramref name="message"/>, encoded on the publisher's thread into that thread's buffer and copied
    /// out once: the one array the NATS client may hold on to (when it cannot send at once).
    /// </summary>
    public static byte[] Write(ReadOnlySpan<byte> originUtf8, long number, ApplicationMessage message)
    {
        var writer = t_writer ??= new ArrayBufferWriter<byte>(1024);
        writer.ResetWrittenCount();
        var header = writer.GetSpan(2 + originUtf8.Length + 8);
        header[0] = Version;
        header[1] = (byte)originUtf8.Length;
        originUtf8.CopyTo(header[2..]);
        BinaryPrimitives.WriteInt64LittleEndian(header[(2 + originUtf8.Length)..], number);
        writer.Advance(2 + originUtf8.Length + 8);
        StoredMessageCodec.Encode(message, writer);
        byte[] frame = writer.WrittenSpan.ToArray();
        if (writer.Capacity > 64 * 1024)
        {
            t_writer = null; // a large message: its buffer is not kept for the thread
        }

        return frame;
    }

    /// <summary>Splits a frame; false when <paramref name="frame"/> is not one (another version, or cut short).</summary>
    public static bool TryRead(ReadOnlyMemory<byte> frame, out ReadOnlyMemory<byte> originUtf8, out long number, out ReadOnlyMemory<byte> message)
    {
        var span = frame.Span;
        originUtf8 = default;
        number = 0;
        message = default;
        if (span.Length < 2 || span[0] != Version || span.Length < 2 + span[1] + 8)
        {
            return false;
        }

        int originLength = span[1];
        originUtf8 = frame.Slice(2, originLength);
        number = BinaryPrimitives.ReadInt64LittleEndian(span[(2 + originLength)..]);
        message = frame[(2 + originLength + 8)..];
        return true;
    }

    /// <summary>A node name's UTF-8, checked to fit a frame.</summary>
    public static byte[] Origin(string node)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(node);
        return utf8.Length <= MaxOriginLength
            ? utf8
            : throw new ArgumentException($"Starling:Cluster:NodeName is {utf8.Length} bytes in UTF-8; at most {MaxOriginLength}.", nameof(node));
    }
}
