using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Starling.Broker.Connections;
using Starling.Broker.Diagnostics;
using Starling.Broker.Hooks;
using Starling.Broker.Routing;
using Starling.Broker.Sessions;
using Starling.Broker.Storage;
using Starling.Broker.Transport;
using Starling.Mqtt;

namespace Starling.Broker;

/// <summary>
/// The MQTT engine. Transports hand it connections (<see cref="AcceptAsync(AcceptContext)"/>, then <see cref="Connect"/>)
/// and push bytes into them; it owns sessions, routing, retained messages and hooks, and never touches a
/// socket. <see cref="StopAsync"/> closes every client, waits for every OnClose, then runs OnStop.
/// </summary>
public sealed partial class MqttBroker : IAsyncDisposable
{
    private readonly BrokerContext _context;
    private readonly CancellationTokenSource _timerStop = new();
    private readonly ConnectionRateLimiter _connectionRates = new();
    private Task? _timer;
    private int _stopped;

    /// <summary>Creates a broker; call <see cref="Start"/> before feeding it connections.</summary>
    public MqttBroker(BrokerOptions? options = null, IEnumerable<BrokerHook>? hooks = null, ILogger<MqttBroker>? logger = null, IRetainedMessageStore? retainedStore = null, ISessionStateStore? sessionState = null, ISessionJournal? journal = null)
    {
        options ??= new BrokerOptions();
        options.Validate();
        var log = (ILogger?)logger ?? NullLogger.Instance;
        _context = new BrokerContext(
            options,
            new HookChain(hooks ?? [], log),
            retainedStore ?? new InMemoryRetainedMessageStore(),
            sessionState,
            journal,
            log);
        _context.Metrics.ObserveState(CurrentState);
    }

    /// <summary>The settings in force.</summary>
    public BrokerOptions Options => _context.Options;

    /// <summary>Counters.</summary>
    public BrokerMetrics Metrics => _context.Metrics;

    /// <summary>Open network connections.</summary>
    public int ConnectionCount => _context.Connections.Count;

    /// <summary>The sessions held.</summary>
    public SessionRegistry Sessions => _context.Sessions.Live;

    /// <summary>The retained messages.</summary>
    public IRetainedMessageStore RetainedMessages => _context.Retained;

    /// <summary>True when no OnConnect hook authenticates clients: anyone may connect.</summary>
    public bool HasNoAuthentication => !_context.Hooks.HasConnect;

    /// <summary>Subscriptions in the topic tree.</summary>
    public int SubscriptionCount => _context.Router.SubscriptionCount;

    /// <summary>
    /// Takes up the sessions saved in the session state store, if one was given, then starts the once-a-second sweep
    /// of CONNECT timeouts, keep-alive and session expiry.
    /// </summary>
    public void Start()
    {
        if (_timer is null)
        {
            _context.Sessions.Restore();
            _timer = SweepAsync(_timerStop.Token);
        }
    }

    /// <summary>Runs the OnAccept hooks for a new TCP or TLS connection; false means close the socket.</summary>
    public ValueTask<bool> AcceptAsync(AcceptContext context)
    {
        if (_context.IsStopping || !WithinConnectionLimits(context.RemoteEndPoint))
        {
            return ValueTask.FromResult(false);
        }

        return _context.Hooks.HasAccept ? _context.Hooks.AcceptAsync(context, _context.Stopping.Token) : ValueTask.FromResult(true);
    }

    /// <summary>
    /// Same as <see cref="AcceptAsync(AcceptContext)"/> for a transport, whose addresses are only asked for when an
    /// OnAccept hook or the per-address rate limit needs them (a transport may build them on demand).
    /// </summary>
    public ValueTask<bool> AcceptAsync(IConnectionTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        if (_context.Hooks.HasAccept || Options.MaximumConnectionRatePerAddress > 0)
        {
            return AcceptAsync(new AcceptContext(transport.RemoteEndPoint, transport.LocalEndPoint, transport.ListenerName));
        }

        return ValueTask.FromResult(!_context.IsStopping && WithinConnectionLimits(null));
    }

    /// <summary>Creates the engine side of a new connection; the transport then feeds it bytes.</summary>
    public MqttConnection Connect(IConnectionTransport transport)
    {
        var connection = new MqttConnection(_context, transport);
        _context.Connections[connection] = 0;
        _context.Metrics.ConnectionAccepted();
        if (_context.IsStopping)
        {
            connection.Shutdown();
        }
        else if (Options.MaximumConnections > 0 && _context.Connections.Count > Options.MaximumConnections)
        {
            // Transports that do not ask AcceptAsync (WebSocket) meet the overall limit here.
            _context.Metrics.LimitHit(nameof(BrokerOptions.MaximumConnections));
            connection.CloseConnection(CloseReason.Refused);
        }

        return connection;
    }

    /// <summary>
    /// Withdraws every subscription, of connected and offline sessions alike, that <paramref name="keep"/> refuses,
    /// as if its client had unsubscribed, and drops the queued messages whose topic it refuses (asked with the topic
    /// as <see cref="SubscriptionGrant.TopicFilter"/>); messages already in flight still complete. A SUBSCRIBE
    /// authorized under the earlier rules and completing meanwhile is checked against <paramref name="keep"/> too.
    /// For access rules that changed after the subscriptions were granted (an ACL file reloaded). Returns how many
    /// subscriptions were withdrawn.
    /// </summary>
    public int RevokeSubscriptions(Func<SubscriptionGrant, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        var revocation = new SubscriptionRevocation(keep);

        // Published before the walk: a SUBSCRIBE that adds after the walk passed its session sees it under the gate.
        _context.LatestRevocation = revocation;
        int revoked = 0;
        foreach (var session in _context.Sessions.Live.Snapshot())
        {
            revoked += session.Revoke(revocation, _context.Router);
        }

        return revoked;
    }

    /// <summary>Publishes a message from the host application, as if a client had.</summary>
    public void Publish(string topic, ReadOnlyMemory<byte> payload, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce, bool retain = false, MqttProperties? properties = null)
    {
        if (!MqttTopic.IsValidTopicName(topic))
        {
            throw new ArgumentException("Not a valid topic name.", nameof(topic));
        }

        // The host may hand any properties: only those a PUBLISH carries onward are forwarded.
        _context.Publish(new ApplicationMessage(topic, payload.ToArray(), qos, retain, properties?.ForPublish()));
    }

    /// <summary>
    /// The graceful stop: refuses new connections, closes every client (5.0 clients get DISCONNECT 0x8B),
    /// waits until every OnClose hook has completed, then runs the OnStop hooks.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        _context.IsStopping = true;
        await _timerStop.CancelAsync().ConfigureAwait(false);
        foreach (var connection in _context.Connections.Keys)
        {
            connection.Shutdown();
        }

        if (_context.Connections.IsEmpty)
        {
            _context.AllClosed.TrySetResult();
        }

        await _context.AllClosed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _context.Sessions.SaveAll();
        await _context.Stopping.CancelAsync().ConfigureAwait(false);
        await _context.Hooks.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _timerStop.Dispose();
        _context.Metrics.Dispose();
    }

    private bool WithinConnectionLimits(System.Net.EndPoint? remote)
    {
        if (Options.MaximumConnections > 0 && _context.Connections.Count >= Options.MaximumConnections)
        {
            _context.Metrics.LimitHit(nameof(BrokerOptions.MaximumConnections));
            return false;
        }

        if (Options.MaximumConnectionRatePerAddress > 0 && remote is System.Net.IPEndPoint ip
            && !_connectionRates.TryAcquire(ip.Address, Options.MaximumConnectionRatePerAddress, Environment.TickCount64))
        {
            _context.Metrics.LimitHit(nameof(BrokerOptions.MaximumConnectionRatePerAddress));
            return false;
        }

        return true;
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                foreach (var connection in _context.Connections.Keys)
                {
                    connection.CheckTimeouts(now);
                }

                _context.Sessions.Sweep(now);
                _connectionRates.Prune(now);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }
}
