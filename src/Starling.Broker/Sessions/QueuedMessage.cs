using Starling.Broker.Routing;

namespace Starling.Broker.Sessions;

/// <summary>A delivery waiting in a session's queue, with the number the session gave it (see <see cref="Storage.JournalEntry"/>).</summary>
internal readonly record struct QueuedMessage(OutgoingMessage Delivery, long Sequence);
