namespace Starling.Storage.Sqlite;

/// <summary>How hard SQLite pushes a commit to the disk (its <c>synchronous</c> setting, in WAL mode).</summary>
public enum SqliteSynchronous
{
    /// <summary>
    /// Every commit is synced to the disk before it returns: what was committed survives a process crash and a power
    /// loss. The default.
    /// </summary>
    Full,

    /// <summary>
    /// The log is synced only at checkpoints: a commit survives a process crash (the operating system has the bytes)
    /// but the last commits can be lost with a power loss or a kernel crash. Faster.
    /// </summary>
    Normal,
}
