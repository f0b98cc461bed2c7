using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Starling.Broker;
using Starling.Broker.Hooks;
using Starling.Mqtt;

namespace Starling.Security;

/// <summary>
/// Applies an <see cref="AclFile"/> (reloaded when the file changes) to the client's user name as the earlier hooks
/// left it (register it after the authentication hook):
/// <list type="bullet">
/// <item>SUBSCRIBE: a filter no read rule covers fails with 0x80 (5.0: 0x87 Not authorized).</item>
/// <item>PUBLISH: a topic no write rule matches is not delivered nor retained; 3.1.1 acknowledges it as usual,
/// 5.0 answers 0x87.</item>
/// <item>CONNECT with a will whose topic the client may not write: refused with 0x05 (5.0: 0x87), as mosquitto does,
/// so a will the client could not have published never exists.</item>
/// </list>
/// Retained messages are sent only for granted filters, and a granted filter is covered by a read rule, so every
/// retained message a client gets is one it may read. Once <see cref="Attach"/>ed to the broker, a reload withdraws
/// the subscriptions the new rules no longer grant, so a revoked reader stops receiving at once.
/// </summary>
public sealed partial class AclHook : BrokerHook
{
    private readonly ReloadingFile<AclFile> _file;
    private readonly ILogger _logger;
    private Timer? _poll;

    /// <summary>Loads <paramref name="path"/>; throws when it is missing or malformed.</summary>
    public AclHook(string path, ILogger<AclHook>? logger = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _file = new ReloadingFile<AclFile>(path, AclFile.Load, _logger);
    }

    /// <summary>
    /// Re-checks every subscription of <paramref name="broker"/> whenever the file is reloaded, withdrawing those the
    /// new rules refuse (the hosting layer calls it; an application embedding the broker calls it once after creating it).
    /// </summary>
    public void Attach(MqttBroker broker)
    {
        ArgumentNullException.ThrowIfNull(broker);
        _file.Reloaded += () => ThreadPool.QueueUserWorkItem(_ =>
        {
            // On the pool, not inside the reload: the reload may run on a connection's thread, under the file's lock.
            var acl = _file.Current;
            int revoked = broker.RevokeSubscriptions(grant => acl.CanSubscribe(grant.Username, grant.ClientId, grant.TopicFilter));
            if (revoked > 0)
            {
                Revoked(_logger, revoked);
            }
        });

        // The file is otherwise checked only when a client uses the ACL; a revoked reader must not wait for that.
        _poll ??= new Timer(_ => _ = _file.Current, null, ReloadingFile<AclFile>.CheckInterval, ReloadingFile<AclFile>.CheckInterval);
    }

    /// <inheritdoc />
    public override ValueTask OnStopAsync(CancellationToken cancellationToken)
    {
        _poll?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Reads the file again now, even if its time and length did not change (the server calls it on SIGHUP), and once
    /// attached withdraws the subscriptions it no longer grants. False when it no longer parses: the previous rules stay.
    /// </summary>
    public bool Reload() => _file.Reload();

    /// <summary>The ACL as last loaded.</summary>
    public AclFile Acl => _file.Current;

    /// <inheritdoc />
    public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Packet.Will is { } will && !_file.Current.CanPublish(context.Client.Username, context.Client.ClientId, will.Topic))
        {
            Denied(_logger, "will", context.Client.ClientId, context.Client.Username, will.Topic);
            return ValueTask.FromResult(MqttReasonCode.NotAuthorized);
        }

        return ValueTask.FromResult(MqttReasonCode.Success);
    }

    /// <inheritdoc />
    public override ValueTask<MqttReasonCode> OnSubscribeAsync(SubscribeContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_file.Current.CanSubscribe(context.Client.Username, context.Client.ClientId, context.TopicFilter))
        {
            return ValueTask.FromResult(context.Result);
        }

        Denied(_logger, "subscription", context.Client.ClientId, context.Client.Username, context.TopicFilter);
        return ValueTask.FromResult(MqttReasonCode.NotAuthorized); // 3.1.1 SUBACK: 0x80
    }

    /// <inheritdoc />
    public override ValueTask<bool> OnPublishAsync(PublishContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (_file.Current.CanPublish(context.Client.Username, context.Client.ClientId, context.Topic))
        {
            return ValueTask.FromResult(true);
        }

        Denied(_logger, "publish", context.Client.ClientId, context.Client.Username, context.Topic);
        context.RefusalReasonCode = MqttReasonCode.NotAuthorized;
        return ValueTask.FromResult(false);
    }

    [LoggerMessage(2, LogLevel.Information, "ACL reload withdrew {Count} subscription(s) the new rules refuse.")]
    private static partial void Revoked(ILogger logger, int count);

    [LoggerMessage(1, LogLevel.Debug, "ACL refused {What} of client {ClientId} (user {Username}) on '{Topic}'.")]
    private static partial void Denied(ILogger logger, string what, string clientId, string? username, string topic);
}
