namespace Starling.Broker.Storage;

/// <summary>
/// Shortens a batch before it is written: a delivery added and removed within the same batch (an online subscriber
/// acknowledged it before the commit came round, the usual case under load) leaves no trace in the final state, so
/// neither it nor what happened to it in between is written. The state after the shortened batch is the state after
/// the whole one, so what waits for the commit is exactly as durable; it costs the store nothing for such messages.
/// </summary>
public sealed class JournalBatch
{
    private readonly HashSet<(string ClientId, long Sequence)> _added = [];
    private readonly HashSet<(string ClientId, long Sequence)> _cancelled = [];
    private readonly HashSet<string> _sessionsRewritten = new(StringComparer.Ordinal);

    /// <summary>Fills <paramref name="written"/> with the entries of <paramref name="batch"/> that change the final state, in order.</summary>
    public void Shorten(IReadOnlyList<JournalEntry> batch, List<JournalEntry> written)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(written);
        written.Clear();
        try
        {
            foreach (var entry in batch)
            {
                switch (entry.Kind)
                {
                    case JournalEntryKind.SessionReplaced or JournalEntryKind.SessionDeleted:
                        // Its rows are rewritten in this batch: a delivery's add and remove around that are kept as they are.
                        _sessionsRewritten.Add(entry.ClientId);
                        break;
                    case JournalEntryKind.DeliveryAdded:
                        _added.Add((entry.ClientId, entry.Sequence));
                        break;
                    case JournalEntryKind.DeliveryRemoved when _added.Contains((entry.ClientId, entry.Sequence)) && !_sessionsRewritten.Contains(entry.ClientId):
                        _cancelled.Add((entry.ClientId, entry.Sequence));
                        break;
                }
            }

            if (_cancelled.Count == 0)
            {
                written.AddRange(batch);
                return;
            }

            foreach (var entry in batch)
            {
                bool delivery = entry.Kind is JournalEntryKind.DeliveryAdded or JournalEntryKind.DeliverySent or JournalEntryKind.DeliveryReleased or JournalEntryKind.DeliveryRemoved;
                if (!delivery || !_cancelled.Contains((entry.ClientId, entry.Sequence)) || _sessionsRewritten.Contains(entry.ClientId))
                {
                    written.Add(entry);
                }
            }
        }
        finally
        {
            _added.Clear();
            _cancelled.Clear();
            _sessionsRewritten.Clear();
        }
    }
}
