using Starling.Broker.Storage;
using Starling.Storage.Redis;
using Starling.Storage.Sqlite;
using Starling.TestSupport;

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

public sealed class MemoryBackend : DurableBackend
{
    private readonly InMemorySessionStateStore _sessions = new();
    private readonly InMemoryRetainedMessageStore _retained = new();
    private InMemorySessionJournal? _journal;

    public override ISessionStateStore Sessions => _sessions;

    public override IRetainedMessageStore Retained => _retained;

    public override void Reopen()
    {
    }

    public override GroupCommitJournal OpenJournal() => _journal = new InMemorySessionJournal(_sessions, _retained);

    public override void Break() => _journal!.Failing = true;
}

/// <summary>A backend that journals: what <see cref="JournalContractTests{TBackend}"/> runs against.</summary>
public abstract class DurableBackend : StoreBackend
{
    /// <summary>A journal on the backend's store; dispose it before <see cref="StoreBackend.Reopen"/>.</summary>
    public abstract GroupCommitJournal OpenJournal();

    /// <summary>Takes the store away (closed file, stopped server), so the next commit fails.</summary>
    public abstract void Break();
}

public sealed class SqliteBackend : DurableBackend
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

    public override GroupCommitJournal OpenJournal() => new SqliteJournal(_database);

    public override void Break() => _database.Dispose();

    public override void Dispose()
    {
        _database.Dispose();
        base.Dispose();
    }

    private SqliteDatabase Open() => new(new SqliteStoreOptions { Path = Directory });
}

/// <summary>A real redis-server of its own (appendfsync always), reached through StackExchange.Redis.</summary>
public sealed class RedisBackend : DurableBackend
{
    private readonly RedisServer _server = RedisServer.Start();
    private RedisDatabase _database;
    private RedisSessionStateStore _sessions;
    private RedisRetainedMessageStore _retained;

    public RedisBackend()
    {
        _database = Open();
        _sessions = new RedisSessionStateStore(_database);
        _retained = new RedisRetainedMessageStore(_database);
    }

    public override ISessionStateStore Sessions => _sessions;

    public override IRetainedMessageStore Retained => _retained;

    public override void Reopen()
    {
        _database.Dispose();
        _database = Open();
        _sessions = new RedisSessionStateStore(_database);
        _retained = new RedisRetainedMessageStore(_database);
    }

    public override GroupCommitJournal OpenJournal() => new RedisJournal(_database);

    public override void Break() => _server.Dispose();

    public override void Dispose()
    {
        _database.Dispose();
        _server.Dispose();
        base.Dispose();
    }

    private RedisDatabase Open() => new(new RedisStoreOptions { Configuration = _server.Configuration + ",connectTimeout=2000,syncTimeout=2000" });
}
