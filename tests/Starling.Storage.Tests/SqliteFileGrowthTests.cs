using Starling.Broker.Routing;
using Starling.Broker.Storage;
using Starling.Mqtt;
using Starling.Storage.Sqlite;

namespace Starling.Storage.Tests;

/// <summary>
/// The file does not grow without bound: rows deleted once their messages are acknowledged free pages that later
/// messages reuse, the log is checkpointed as it goes, and a stop gives the free pages back (incremental vacuum).
/// </summary>
public sealed class SqliteFileGrowthTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "starling-growth-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task QueuedThenAcknowledged_RoundAfterRound_KeepsTheFileAtItsFirstRoundsSize()
    {
        const int Rounds = 20;
        const int PerRound = 2000;
        var message = new ApplicationMessage("g/t", new byte[1024], MqttQualityOfService.AtLeastOnce, retain: false);
        var database = new SqliteDatabase(new SqliteStoreOptions { Path = _directory });
        long afterFirst = 0;
        long sequence = 0;
        using (var journal = new SqliteJournal(database))
        {
            journal.Append(new JournalEntry(JournalEntryKind.SessionReplaced, "g", Record: StoreSamples.Session("g", pending: 0) with { Inflight = [] }));
            for (int round = 0; round < Rounds; round++)
            {
                long first = sequence;
                for (int i = 0; i < PerRound; i++)
                {
                    journal.Append(new JournalEntry(JournalEntryKind.DeliveryAdded, "g", sequence++, Delivery: new OutgoingMessage(message, MqttQualityOfService.AtLeastOnce, false, null)));
                }

                await journal.WhenDurableAsync(journal.Append(new JournalEntry(JournalEntryKind.SessionUpdated, "g", Record: StoreSamples.Session("g", pending: 0))));
                for (long s = first; s < sequence; s++)
                {
                    journal.Append(new JournalEntry(JournalEntryKind.DeliveryRemoved, "g", s));
                }

                await journal.WhenDurableAsync(journal.Append(new JournalEntry(JournalEntryKind.SessionUpdated, "g", Record: StoreSamples.Session("g", pending: 0))));
                if (round == 0)
                {
                    afterFirst = Size();
                }
            }

            long afterLast = Size();
            Assert.True(afterFirst > PerRound * 1024, $"the first round wrote {afterFirst} bytes: too little to measure");
            Assert.True(afterLast <= afterFirst * 1.25, $"{afterLast} bytes after {Rounds} rounds, {afterFirst} after the first: the file grows");
        }

        database.Dispose();
        Assert.True(Size() < afterFirst / 4, $"{Size()} bytes after the stop: the free pages were not given back");
    }

    /// <summary>The main file and its log together.</summary>
    private long Size() =>
        new[] { "", "-wal" }.Select(suffix => new FileInfo(Path.Combine(_directory, SqliteStoreOptions.FileName + suffix))).Where(f => f.Exists).Sum(f => f.Length);
}
