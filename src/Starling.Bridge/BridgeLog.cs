using Microsoft.Extensions.Logging;

namespace Starling.Bridge;

/// <summary>What a bridge logs: its state changes and the failures that cause them.</summary>
internal static partial class BridgeLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Bridge {Bridge}: connected to {Address}:{Port} (MQTT {Version}, session present {SessionPresent})")]
    public static partial void Connected(ILogger logger, string bridge, string address, int port, string version, bool sessionPresent);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Bridge {Bridge}: link to {Address}:{Port} failed ({Reason}); next attempt in {Delay} ms")]
    public static partial void Failed(ILogger logger, string bridge, string address, int port, string reason, long delay);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Bridge {Bridge}: stopped")]
    public static partial void Stopped(ILogger logger, string bridge);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Bridge {Bridge}: the remote broker refused {Topic} ({Reason}); it is not retried")]
    public static partial void Refused(ILogger logger, string bridge, string topic, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Bridge {Bridge}: the remote broker refused the subscription to {Filter} ({Reason})")]
    public static partial void SubscriptionRefused(ILogger logger, string bridge, string filter, string reason);
}
