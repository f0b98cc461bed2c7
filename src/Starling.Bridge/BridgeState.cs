namespace Starling.Bridge;

/// <summary>Where a bridge's link stands; each change is logged.</summary>
public enum BridgeState
{
    /// <summary>Not started, or stopped.</summary>
    Stopped,

    /// <summary>Connecting to the remote broker (and then to this one).</summary>
    Connecting,

    /// <summary>Both sides connected and subscribed: messages flow.</summary>
    Connected,

    /// <summary>The last attempt or link failed; waiting before the next attempt.</summary>
    WaitingToReconnect,
}
