using Starling.Storage.Redis;
using Starling.Storage.Sqlite;

namespace Starling.Hosting;

/// <summary>Where the broker keeps its state (configuration section <c>Starling:Storage</c>).</summary>
public sealed class StarlingStorageOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Storage";

    /// <summary>The backend: an SQLite file in <see cref="Path"/> (the default), a Redis server (<see cref="Redis"/>), or memory only.</summary>
    public StorageType Type { get; set; } = StorageType.Sqlite;

    /// <summary>The data directory of the SQLite store, relative to the working directory unless absolute.</summary>
    public string Path { get; set; } = "data";

    /// <summary>SQLite: <c>Full</c> (a commit survives a power loss) or <c>Normal</c> (it survives a process crash).</summary>
    public SqliteSynchronous Synchronous { get; set; } = SqliteSynchronous.Full;

    /// <summary>SQLite: a cap on the file's size in bytes, 0 for none; past it QoS 1/2 publishes are refused as on a full disk.</summary>
    public long MaximumSizeBytes { get; set; }

    /// <summary>Redis: the server (<c>Starling:Storage:Redis:Configuration</c>) and the key prefix.</summary>
    public RedisStoreOptions Redis { get; set; } = new();
}

/// <summary>The storage backends.</summary>
public enum StorageType
{
    /// <summary>An embedded SQLite file (WAL): sessions, queues and retained messages survive a restart.</summary>
    Sqlite,

    /// <summary>A Redis server (StackExchange.Redis): state kept outside the broker, acknowledged once Redis has it.</summary>
    Redis,

    /// <summary>Nothing outlives the process.</summary>
    Memory,
}
