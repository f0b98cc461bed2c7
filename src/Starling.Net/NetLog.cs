using System.Net;
using Microsoft.Extensions.Logging;

namespace Starling.Net;

internal static partial class NetLog
{
    [LoggerMessage(100, LogLevel.Information, "Listener {Name} accepting MQTT over TCP on {EndPoint}")]
    public static partial void Listening(ILogger logger, string name, EndPoint? endPoint);

    [LoggerMessage(101, LogLevel.Warning, "Listener {Name} failed to accept a connection: {Error}")]
    public static partial void AcceptFailed(ILogger logger, string name, string error);
}
