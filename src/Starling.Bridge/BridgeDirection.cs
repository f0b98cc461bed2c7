namespace Starling.Bridge;

/// <summary>Which way a bridge topic's messages go, as mosquitto's <c>in</c>, <c>out</c> and <c>both</c>.</summary>
public enum BridgeDirection
{
    /// <summary>This broker's messages to the remote broker.</summary>
    Out,

    /// <summary>The remote broker's messages to this broker.</summary>
    In,

    /// <summary>Both ways, without a loop.</summary>
    Both,
}
