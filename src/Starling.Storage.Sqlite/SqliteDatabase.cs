using Microsoft.Data.Sqlite;

namespace Starling.Storage.Sqlite;

/// <summary>
/// The one connection to the store's file: opened in WAL mode with the configured <c>synchronous</c>, checked, and its
/// schema created. SQLite serialises writers anyway, so one connection under one lock is what the stores share.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    /// <summary>
    /// The schema this code writes (PRAGMA user_version); a file with another is refused, not guessed at. Version 2
    /// added <c>journal_applied</c>, how far the tables hold the journal's log file (<see cref="JournalLogFile"/>); a
    /// version 1 file is taken up as it is, gaining the table.
    /// A broker that reads only version 1 refuses a version 2 file, since it would not replay the log.
    /// </summary>
    private const int SchemaVersion = 2;

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
        CREATE TABLE IF NOT EXISTS journal_applied (
            id INTEGER NOT NULL PRIMARY KEY CHECK (id = 0),
            batch INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO journal_applied VALUES (0, 0);
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
            LogFile = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(File)!, JournalLogFile.FileName);
            long applied = (long)Scalar("SELECT batch FROM journal_applied")!;
            (ReplayedEntries, applied) = JournalLog.Replay(_connection, LogFile, applied); // what a crash left in the log, before the stores load the tables
            Log = new JournalLogFile(LogFile, options.Synchronous == SqliteSynchronous.Full, applied + 1);
            Execute("PRAGMA incremental_vacuum");
            MaximumSizeBytes = options.MaximumSizeBytes;
            if (options.MaximumSizeBytes > 0)
            {
                long pageSize = (long)Scalar("PRAGMA page_size")!;
                Scalar($"PRAGMA max_page_count={Math.Max(1, options.MaximumSizeBytes / pageSize)}");
            }
        }
        catch (Exception ex) when (ex is SqliteException or InvalidDataException)
        {
            _connection.Dispose();
            throw new StoreUnreadableException(ex is InvalidDataException ? LogFile! : File, ex.Message, ex);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary>The database file's full path.</summary>
    public string File { get; }

    /// <summary>The cap on the store's size in bytes (the tables and the journal's log together); 0 when none.</summary>
    public long MaximumSizeBytes { get; }

    /// <summary>The tables' size in bytes (pages in use times the page size).</summary>
    public long SizeBytes
    {
        get
        {
            lock (Gate)
            {
                return (long)Scalar("PRAGMA page_count")! * (long)Scalar("PRAGMA page_size")!;
            }
        }
    }

    /// <summary>The journal's log file (<see cref="JournalLogFile"/>), next to <see cref="File"/>.</summary>
    public string LogFile { get; } = "";

    /// <summary>How many entries of the journal's log the open applied to the tables (left there by a crash).</summary>
    public int ReplayedEntries { get; }

    /// <summary>Set by a running <see cref="SqliteJournal"/>: applies its log to the tables (called under <see cref="Gate"/>) before they are read.</summary>
    internal Action? ApplyLog { get; set; }

    /// <summary>The journal's log, opened after the replay, for <see cref="SqliteJournal"/>.</summary>
    internal JournalLogFile Log { get; } = null!;

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

    /// <summary>
    /// Copies the whole store, consistent, into <paramref name="destinationFile"/> while the broker runs (SQLite's
    /// online backup), and the journal's log not yet in the tables next to it (<see cref="JournalLogFile.FileName"/>):
    /// a store opened on the copy replays it.
    /// </summary>
    public void BackupTo(string destinationFile)
    {
        using var destination = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = destinationFile, Pooling = false }.ToString());
        destination.Open();
        lock (Gate)
        {
            _connection.BackupDatabase(destination);
            Log.CopyTo(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(destinationFile))!, JournalLogFile.FileName));
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
            Log?.Dispose();
        }
    }

    internal void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
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
        if (version is not (0 or 1 or SchemaVersion))
        {
            throw new StoreUnreadableException(File, $"it has schema version {version}, this broker reads 1 to {SchemaVersion}");
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
