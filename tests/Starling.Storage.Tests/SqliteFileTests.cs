using Microsoft.Data.Sqlite;
using Starling.Storage.Sqlite;

namespace Starling.Storage.Tests;

/// <summary>
/// A store file that cannot be read stops the broker at start with an error naming the file; it never opens as an
/// empty store in its place, which would drop every acknowledged message without a word.
/// </summary>
public sealed class SqliteFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "starling-file-" + Guid.NewGuid().ToString("N"));

    private string File => Path.Combine(_directory, SqliteStoreOptions.FileName);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void MissingDirectory_IsCreated_WithAnEmptyStore()
    {
        using var database = Open();
        Assert.True(System.IO.File.Exists(File));
        Assert.Empty(new SqliteSessionStateStore(database).Load());
    }

    [Fact]
    public void FileThatIsNotADatabase_IsRefused_NamingTheFile()
    {
        Directory.CreateDirectory(_directory);
        System.IO.File.WriteAllText(File, new string('x', 8192));
        var error = Assert.Throws<StoreUnreadableException>(Open);
        Assert.Contains(File, error.Message, StringComparison.Ordinal);
        Assert.Equal(new string('x', 8192), System.IO.File.ReadAllText(File)); // left as it was, for whoever investigates
    }

    [Fact]
    public void TruncatedFile_IsRefused_NamingTheFile()
    {
        using (var database = Open())
        {
            var sessions = new SqliteSessionStateStore(database);
            for (int i = 0; i < 200; i++)
            {
                sessions.Save(StoreSamples.Session("c" + i, pending: 10));
            }

            database.Checkpoint(); // everything in the main file, so cutting it loses pages
        }

        using (var stream = new FileStream(File, FileMode.Open))
        {
            stream.SetLength(stream.Length / 2);
        }

        var error = Assert.Throws<StoreUnreadableException>(Open);
        Assert.Contains(File, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherApplicationsDatabase_IsRefused()
    {
        Directory.CreateDirectory(_directory);
        using (var other = new SqliteConnection($"Data Source={File};Pooling=False"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TABLE invoices (id INTEGER PRIMARY KEY)";
            command.ExecuteNonQuery();
        }

        var error = Assert.Throws<StoreUnreadableException>(Open);
        Assert.Contains("not one this broker wrote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OnlineBackup_HoldsWhatWasSaved_AndOpensAsAStore()
    {
        string restored = Path.Combine(_directory, "restored");
        using (var database = Open())
        {
            new SqliteSessionStateStore(database).Save(StoreSamples.Session("backed-up"));
            Directory.CreateDirectory(restored);
            database.BackupTo(Path.Combine(restored, SqliteStoreOptions.FileName)); // while open, as on a running broker
        }

        using var copy = new SqliteDatabase(new SqliteStoreOptions { Path = restored });
        Assert.Equal("backed-up", Assert.Single(new SqliteSessionStateStore(copy).Load()).ClientId);
    }

    private SqliteDatabase Open() => new(new SqliteStoreOptions { Path = _directory });
}
