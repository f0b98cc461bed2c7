using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker.Hooks;

namespace Starling.Examples.AcceptFilter;

/// <summary>
/// An IP blacklist: a TCP connection from a blocked address is closed as soon as it is accepted, before the
/// broker reads any MQTT byte (so no CONNACK either). Also logs every closed connection (OnClose) and the
/// broker's stop (OnStop), to show those two hooks.
/// </summary>
public partial class AcceptFilterHook : BrokerHook
{
    private readonly IPNetwork[] _blocked;
    private readonly ILogger _logger;

    /// <summary>Created by the host (AddStarlingHook&lt;AcceptFilterHook&gt;) or directly in tests.</summary>
    /// <exception cref="FormatException">An entry of <see cref="AcceptFilterOptions.Blocked"/> is not an address or CIDR range.</exception>
    public AcceptFilterHook(IOptions<AcceptFilterOptions> options, ILogger<AcceptFilterHook> logger)
    {
        _blocked = options.Value.Blocked.Select(ParseNetwork).ToArray();
        _logger = logger;
    }

    /// <inheritdoc />
    public override ValueTask<bool> OnAcceptAsync(AcceptContext context, CancellationToken cancellationToken)
    {
        if (context.RemoteEndPoint is not IPEndPoint { Address: var address })
        {
            return ValueTask.FromResult(true); // not an IP connection (a Unix socket): nothing to check
        }

        // A listener bound to "::" (the default) accepts IPv4 clients too and reports them as ::ffff:a.b.c.d.
        // IPNetwork.Contains matches those against IPv4 ranges by itself; mapping keeps the log readable.
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        foreach (var network in _blocked)
        {
            if (network.Contains(address))
            {
                Blocked(_logger, address, network);
                return ValueTask.FromResult(false); // the broker closes the socket
            }
        }

        return ValueTask.FromResult(true);
    }

    /// <inheritdoc />
    public override ValueTask OnCloseAsync(CloseContext context, CancellationToken cancellationToken)
    {
        // Client is null when the connection closed before a CONNECT was accepted.
        Closed(_logger, context.Client?.ClientId ?? "(no CONNECT)", context.RemoteEndPoint, context.Reason);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override ValueTask OnStopAsync(CancellationToken cancellationToken)
    {
        // Runs once, after every client has closed and every OnClose has completed: flush state, close files here.
        Stopped(_logger);
        return ValueTask.CompletedTask;
    }

    /// <summary>Parses "10.0.0.0/8" as a range and a plain "192.0.2.7" as that single address.</summary>
    private static IPNetwork ParseNetwork(string entry)
    {
        if (entry.Contains('/', StringComparison.Ordinal))
        {
            return IPNetwork.Parse(entry);
        }

        var address = IPAddress.Parse(entry);
        return new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
    }

    [LoggerMessage(1, LogLevel.Warning, "Refused connection from {Address}: blocked by {Network}.")]
    private static partial void Blocked(ILogger logger, IPAddress address, IPNetwork network);

    [LoggerMessage(2, LogLevel.Information, "Connection of {ClientId} from {RemoteEndPoint} closed: {Reason}.")]
    private static partial void Closed(ILogger logger, string clientId, EndPoint? remoteEndPoint, CloseReason reason);

    [LoggerMessage(3, LogLevel.Information, "Broker stopped.")]
    private static partial void Stopped(ILogger logger);
}
