using System.Buffers;
using System.Text;

namespace Starling.Broker.Connections;

/// <summary>
/// The topic of one incoming PUBLISH, carried as one value from the parse to the route. It holds the forms the topic
/// already has and makes the others only when asked: the UTF-8 bytes are always there (a slice of the receive buffer,
/// or an array of the connection's own: a topic alias's, or a topic split across receive segments), the string once
/// a hook needed it. Matching needs only the bytes, so a message nobody subscribes to costs no topic allocation.
/// </summary>
/// <remarks>A slice of the receive buffer is valid only while its packet is handled: build a message with <see cref="ToOwned"/>.</remarks>
internal readonly struct IncomingTopic
{
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly byte[]? _owned;
    private readonly string? _name;

    private IncomingTopic(ReadOnlyMemory<byte> utf8, byte[]? owned, string? name)
    {
        _utf8 = utf8;
        _owned = owned;
        _name = name;
    }

    /// <summary>The topic's UTF-8 bytes, as received.</summary>
    public ReadOnlySpan<byte> Utf8 => _utf8.Span;

    /// <summary>The topic as a string: the one known, or decoded now (and not kept: see <see cref="WithName"/>).</summary>
    public string Name => _name ?? Encoding.UTF8.GetString(_utf8.Span);

    /// <summary>True while the topic is only a slice of the receive buffer: no array or string of it exists yet.</summary>
    public bool OnlyReceived => _owned is null && _name is null;

    /// <summary>The topic field of a PUBLISH as received; copied only when it spans receive segments.</summary>
    public static IncomingTopic Received(in ReadOnlySequence<byte> topic)
    {
        if (topic.IsSingleSegment)
        {
            return new(topic.First, owned: null, name: null);
        }

        var copy = topic.ToArray();
        return new(copy, copy, name: null);
    }

    /// <summary>A topic the connection already holds both forms of (a topic alias's).</summary>
    public static IncomingTopic Owned(string name, byte[] utf8) => new(utf8, utf8, name);

    /// <summary>The same topic with its string decoded once and kept, for a hook and then the message.</summary>
    public IncomingTopic WithName() => _name is null ? new(_utf8, _owned, Name) : this;

    /// <summary>Both forms an <see cref="Routing.ApplicationMessage"/> keeps, making whichever is missing.</summary>
    public (string Name, byte[] Utf8) ToOwned() => (Name, _owned ?? _utf8.ToArray());
}
