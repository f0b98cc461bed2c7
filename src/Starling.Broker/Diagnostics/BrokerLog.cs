using System.Net;
using Microsoft.Extensions.Logging;

namespace Starling.Broker.Diagnostics;

/// <summary>The broker's log messages, source-generated so a disabled level costs nothing.</summary>
internal static partial class BrokerLog
{
    [LoggerMessage(1, LogLevel.Debug, "Client {ClientId} connected from {RemoteEndPoint} (protocol {Version}, clean {Clean}, keep-alive {KeepAlive}s)")]
    public static partial void ClientConnected(ILogger logger, string clientId, EndPoint? remoteEndPoint, int version, bool clean, int keepAlive);

    [LoggerMessage(2, LogLevel.Debug, "Client {ClientId} disconnected: {Reason}")]
    public static partial void ClientDisconnected(ILogger logger, string? clientId, string reason);

    [LoggerMessage(3, LogLevel.Information, "Connection from {RemoteEndPoint} broke a protocol rule and was closed: {Message}")]
    public static partial void ProtocolViolation(ILogger logger, EndPoint? remoteEndPoint, string message);

    [LoggerMessage(4, LogLevel.Information, "Client {ClientId} was refused with {ReasonCode}")]
    public static partial void ConnectRefused(ILogger logger, string clientId, string reasonCode);

    [LoggerMessage(5, LogLevel.Error, "A hook threw while handling {What}")]
    public static partial void HookFailed(ILogger logger, Exception exception, string what);

    [LoggerMessage(6, LogLevel.Error, "Unexpected error on the connection from {RemoteEndPoint}")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, EndPoint? remoteEndPoint);

    [LoggerMessage(7, LogLevel.Information, "Session of {ClientId} taken over by a new connection")]
    public static partial void TakenOver(ILogger logger, string clientId);

    [LoggerMessage(8, LogLevel.Error, "The store could not keep what client {ClientId} sent; its acknowledgement is refused")]
    public static partial void StoreRefused(ILogger logger, Exception exception, string? clientId);
}
