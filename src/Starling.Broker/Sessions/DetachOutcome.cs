namespace Starling.Broker.Sessions;

/// <summary>What became of a session when one of its connections closed.</summary>
internal enum DetachOutcome
{
    /// <summary>The session waits for its client until it expires.</summary>
    Kept,

    /// <summary>The session ended with the connection.</summary>
    Ended,

    /// <summary>Another connection had already taken the session over.</summary>
    TakenOver,
}
