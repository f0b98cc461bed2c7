using System.Net;
using Microsoft.Extensions.Logging;

namespace Starling.Net;

internal static partial class NetLog
{
    [LoggerMessage(100, LogLevel.Information, "Listener {Name} accepting MQTT over {Type} on {EndPoint}")]
    public static partial void Listening(ILogger logger, string name, string type, EndPoint? endPoint);

    [LoggerMessage(101, LogLevel.Warning, "Listener {Name} failed to accept a connection: {Error}")]
    public static partial void AcceptFailed(ILogger logger, string name, string error);

    [LoggerMessage(102, LogLevel.Warning, "Listener {Name} refused {RemoteEndPoint}: already {Maximum} connections open")]
    public static partial void TooManyConnections(ILogger logger, string name, EndPoint? remoteEndPoint, int maximum);

    [LoggerMessage(103, LogLevel.Warning, "Listener {Name} refused {RemoteEndPoint} during the TLS handshake: {Reason}")]
    public static partial void ClientCertificateRefused(ILogger logger, string name, EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(104, LogLevel.Information, "Listener {Name}: TLS handshake with {RemoteEndPoint} failed: {Error}")]
    public static partial void TlsHandshakeFailed(ILogger logger, string name, EndPoint? remoteEndPoint, string error);

    [LoggerMessage(105, LogLevel.Information, "Listener {Name} closed {RemoteEndPoint}: no accepted CONNECT within the handshake timeout")]
    public static partial void HandshakeTimedOut(ILogger logger, string name, EndPoint? remoteEndPoint);
}
