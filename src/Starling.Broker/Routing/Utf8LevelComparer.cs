namespace Starling.Broker.Routing;

/// <summary>
/// Compares topic levels held as UTF-8 bytes, and lets a dictionary keyed by <c>byte[]</c> be searched with a
/// <see cref="ReadOnlySpan{T}"/> slice of the published topic, so matching never creates a string or array.
/// </summary>
internal sealed class Utf8LevelComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
{
    public static readonly Utf8LevelComparer Instance = new();

    private Utf8LevelComparer()
    {
    }

    public bool Equals(byte[]? x, byte[]? y)
    {
        if (x is null || y is null)
        {
            return ReferenceEquals(x, y);
        }

        return x.AsSpan().SequenceEqual(y);
    }

    public int GetHashCode(byte[] obj) => Hash(obj);

    public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

    public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

    public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

    // HashCode is seeded per process, so a client cannot craft topic levels that collide on purpose.
    private static int Hash(ReadOnlySpan<byte> level)
    {
        var hash = new HashCode();
        hash.AddBytes(level);
        return hash.ToHashCode();
    }
}
