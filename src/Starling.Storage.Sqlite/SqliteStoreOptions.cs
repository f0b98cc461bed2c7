namespace Starling.Storage.Sqlite;

/// <summary>Where and how the SQLite store keeps its file (configuration section <c>Starling:Storage</c>).</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The file's name inside <see cref="Path"/>.</summary>
    public const string FileName = "starling.db";

    /// <summary>The data directory; created when missing. Relative paths are taken from the working directory.</summary>
    public string Path { get; set; } = "data";

    /// <summary>Whether a commit survives a power loss (<see cref="SqliteSynchronous.Full"/>) or only a process crash.</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>
    /// A cap on the database's size in bytes (0: none, up to the disk). A commit that would pass it fails as a full disk
    /// does, so the broker refuses new QoS 1/2 publishes instead of acknowledging what it cannot keep.
    /// </summary>
    public long MaximumSizeBytes { get; set; }

    /// <summary>The database file: <see cref="Path"/>/<see cref="FileName"/>, absolute.</summary>
    public string DatabaseFile => System.IO.Path.GetFullPath(System.IO.Path.Combine(Path, FileName));
}
