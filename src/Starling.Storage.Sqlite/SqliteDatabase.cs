using Microsoft.Data.Sqlite;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The one connection to the store's file: opened in WAL mode with the configured <c>synchronous</c>, checked, and its
/// schema created. SQLite serialises writers anyway, so one connection under one lock is what the stores share.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>The schema this code writes (PRAGMA user_version); a file with another is refused, not guessed at.</summary>
    private const int SchemaVersion = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS sessions (
            client_id TEXT NOT NULL PRIMARY KEY,
            username TEXT,
            expiry_interval INTEGER NOT NULL,
            expires_at INTEGER,
            will BLOB,
            will_at INTEGER,
            last_packet_id INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS subscriptions (
            client_id TEXT NOT NULL,
            filter TEXT NOT NULL,
            qos INTEGER NOT NULL,
            no_local INTEGER NOT NULL,
            retain_as_published INTEGER NOT NULL,
            retain_handling INTEGER NOT NULL,
            subscription_id INTEGER NOT NULL,
            PRIMARY KEY (client_id, filter)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS deliveries (
            client_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            packet_id INTEGER,
            released INTEGER NOT NULL,
            qos INTEGER NOT NULL,
            retain INTEGER NOT NULL,
            subscription_ids BLOB,
            message BLOB NOT NULL,
            PRIMARY KEY (client_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS incoming_qos2 (
            client_id TEXT NOT NULL,
            packet_id INTEGER NOT NULL,
            PRIMARY KEY (client_id, packet_id)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS retained (
            topic TEXT NOT NULL PRIMARY KEY,
            message BLOB NOT NULL
        ) WITHOUT ROWID;
        """;

    /// <summary>The size the log is truncated back to after a checkpoint.</summary>
    public const long WalSizeLimitBytes = 64L * 1024 * 1024;

    private readonly SqliteConnection _connection;

    /// <summary>Opens (or creates) the store's file; <see cref="StoreUnreadableException"/> when it is not a readable store.</summary>
    public SqliteDatabase(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        File = options.DatabaseFile;
        Directory.CreateDirectory(Path.GetDirectoryName(File)!);
        bool existed = System.IO.File.Exists(File) && new FileInfo(File).Length > 0;
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = File,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            _connection.Open();
            Check(existed);
            if (!existed)
            {
                // Pages freed by deleted rows are reused; incremental vacuum gives them back to the disk at start and stop.
                // Only a new file can take it: the setting must come before the first table.
                Execute("PRAGMA auto_vacuum=INCREMENTAL");
            }

            Scalar("PRAGMA journal_mode=WAL");

            // The log is checkpointed into the main file every 1000 pages (SQLite's default, kept); this truncates it
            // back after a checkpoint once it passed 64 MiB, so a burst does not leave a large log behind.
            Scalar($"PRAGMA journal_size_limit={WalSizeLimitBytes}");
            Execute(options.Synchronous == SqliteSynchronous.Full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
            Execute(Schema);
            Execute($"PRAGMA user_version={SchemaVersion}");
            Execute("PRAGMA incremental_vacuum");
            if (options.MaximumSizeBytes > 0)
            {
                long pageSize = (long)Scalar("PRAGMA page_size")!;
                Scalar($"PRAGMA max_page_count={Math.Max(1, options.MaximumSizeBytes / pageSize)}");
            }
        }
        catch (SqliteException ex)
        {
            _connection.Dispose();
            throw new StoreUnreadableException(File, ex.Message, ex);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary>The database file's full path.</summary>
    public string File { get; }

    /// <summary>Taken around every use of <see cref="Connection"/>.</summary>
    internal Lock Gate { get; } = new();

    internal SqliteConnection Connection => _connection;

    /// <summary>Writes the log into the main file and truncates it (at stop, and before a backup).</summary>
    public void Checkpoint()
    {
        lock (Gate)
        {
            Execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
    }

    /// <summary>Copies the whole store, consistent, into <paramref name="destinationFile"/> while the broker runs (SQLite's online backup).</summary>
    public void BackupTo(string destinationFile)
    {
        using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = destinationFile, Pooling = false }.ToString());
        destination.Open();
        lock (Gate)
        {
            _connection.BackupDatabase(destination);
        }
    }

    /// <summary>Checkpoints the log into the main file (so a stopped store is one file to copy), then closes.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_connection.State == System.Data.ConnectionState.Open)
            {
                Execute("PRAGMA incremental_vacuum");
                Execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }

            _connection.Dispose();
        }
    }

    internal void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    /// <summary>An existing file must be a sound SQLite database with our schema version (or none yet).</summary>
    private void Check(bool existed)
    {
        if (!existed)
        {
            return;
        }

        // Reading the header: a file that is not a database fails here ("file is not a database").
        long version = (long)Scalar("PRAGMA user_version")!;
        if (version is not (0 or SchemaVersion))
        {
            throw new StoreUnreadableException(File, $"it has schema version {version}, this broker reads {SchemaVersion}");
        }

        // Every page: a truncated or damaged file fails here instead of losing rows silently later.
        string result = Scalar("PRAGMA quick_check")?.ToString() ?? "no answer";
        if (result != "ok")
        {
            throw new StoreUnreadableException(File, "the integrity check says " + result);
        }

        if (version == 0 && (long)Scalar("SELECT count(*) FROM sqlite_master")! > 0)
        {
            throw new StoreUnreadableException(File, "it is an SQLite database, but not one this broker wrote");
        }
    }
}
