using Starling.Broker.Storage;
using Starling.Storage.Sqlite;

namespace Starling.Storage.Tests;

/// <summary>
/// One backend under the contract tests: opened on a directory, and opened again on it as the next broker process
/// would (for memory, the same instances: what "outlives one broker" means there).
/// </summary>
public abstract class StoreBackend : IDisposable
{
    protected StoreBackend()
    {
        Directory = Path.Combine(Path.GetTempPath(), "starling-store-" + Guid.NewGuid().ToString("N"));
    }

    public string Directory { get; }

    public abstract ISessionStateStore Sessions { get; }

    public abstract IRetainedMessageStore Retained { get; }

    /// <summary>Closes the store and opens it again on the same data.</summary>
    public abstract void Reopen();

    public virtual void Dispose()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }
}

public sealed class MemoryBackend : StoreBackend
{
    public override ISessionStateStore Sessions { get; } = new InMemorySessionStateStore();

    public override IRetainedMessageStore Retained { get; } = new InMemoryRetainedMessageStore();

    public override void Reopen()
    {
    }
}

public sealed class SqliteBackend : StoreBackend
{
    private SqliteDatabase _database;
    private SqliteSessionStateStore _sessions;
    private SqliteRetainedMessageStore _retained;

    public SqliteBackend()
    {
        _database = Open();
        _sessions = new SqliteSessionStateStore(_database);
        _retained = new SqliteRetainedMessageStore(_database);
    }

    public override ISessionStateStore Sessions => _sessions;

    public override IRetainedMessageStore Retained => _retained;

    public string File => _database.File;

    public override void Reopen()
    {
        _database.Dispose();
        _database = Open();
        _sessions = new SqliteSessionStateStore(_database);
        _retained = new SqliteRetainedMessageStore(_database);
    }

    public override void Dispose()
    {
        _database.Dispose();
        base.Dispose();
    }

    private SqliteDatabase Open() => new(new SqliteStoreOptions { Path = Directory });
}
