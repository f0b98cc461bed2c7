namespace Starling.Storage.Sqlite;

/// <summary>
/// The store's file exists but cannot be read as a Starling database (corrupt, truncated, another file, a newer
/// format). The broker refuses to start on it rather than start empty and lose what it held without a word.
/// </summary>
public sealed class StoreUnreadableException : Exception
{
    public StoreUnreadableException(string file, string reason, Exception? inner = null)
        : base($"The Starling store '{file}' cannot be read: {reason}. Restore it from a backup, or move it away to start with an empty store.", inner)
    {
        File = file;
    }

    /// <summary>The database file.</summary>
    public string File { get; }
}
