using System.Reflection;
using Starling.Mqtt;

namespace Starling.Broker.Hooks;

/// <summary>
/// The registered hooks, split per hook point into arrays that hold only the hooks overriding that point,
/// so the broker tests one array length and skips a point nobody uses.
/// </summary>
public sealed class HookChain
{
    private readonly BrokerHook[] _accept;
    private readonly BrokerHook[] _connect;
    private readonly BrokerHook[] _authenticate;
    private readonly BrokerHook[] _subscribe;
    private readonly BrokerHook[] _publish;
    private readonly BrokerHook[] _close;
    private readonly BrokerHook[] _stop;

    /// <summary>Builds the chain; the order of <paramref name="hooks"/> is the order they run in.</summary>
    public HookChain(IEnumerable<BrokerHook> hooks)
    {
        var all = hooks.ToArray();
        _accept = Overriding(all, nameof(BrokerHook.OnAcceptAsync));
        _connect = Overriding(all, nameof(BrokerHook.OnConnectAsync));
        _authenticate = Overriding(all, nameof(BrokerHook.OnAuthenticateAsync));
        _subscribe = Overriding(all, nameof(BrokerHook.OnSubscribeAsync));
        _publish = Overriding(all, nameof(BrokerHook.OnPublishAsync));
        _close = Overriding(all, nameof(BrokerHook.OnCloseAsync));
        _stop = Overriding(all, nameof(BrokerHook.OnStopAsync));
    }

    /// <summary>An empty chain.</summary>
    public static HookChain Empty { get; } = new([]);

    internal bool HasAccept => _accept.Length > 0;

    internal bool HasConnect => _connect.Length > 0;

    internal bool HasSubscribe => _subscribe.Length > 0;

    internal bool HasPublish => _publish.Length > 0;

    internal bool HasClose => _close.Length > 0;

    internal async ValueTask<bool> AcceptAsync(AcceptContext context, CancellationToken ct)
    {
        foreach (var hook in _accept)
        {
            if (!await hook.OnAcceptAsync(context, ct).ConfigureAwait(false))
            {
                return false;
            }
        }

        return true;
    }

    internal async ValueTask<MqttReasonCode> ConnectAsync(ConnectContext context, CancellationToken ct)
    {
        foreach (var hook in _connect)
        {
            var code = await hook.OnConnectAsync(context, ct).ConfigureAwait(false);
            if (code != MqttReasonCode.Success)
            {
                return code;
            }
        }

        return MqttReasonCode.Success;
    }

    internal async ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationContext context, CancellationToken ct)
    {
        if (context.Handler is { } handler)
        {
            return await handler.OnAuthenticateAsync(context, ct).ConfigureAwait(false);
        }

        foreach (var hook in _authenticate)
        {
            var result = await hook.OnAuthenticateAsync(context, ct).ConfigureAwait(false);
            if (result.Outcome != AuthenticationOutcome.NotHandled)
            {
                context.Handler = hook;
                return result;
            }
        }

        return AuthenticationResult.NotHandled;
    }

    internal async ValueTask<MqttReasonCode> SubscribeAsync(SubscribeContext context, CancellationToken ct)
    {
        foreach (var hook in _subscribe)
        {
            context.Result = await hook.OnSubscribeAsync(context, ct).ConfigureAwait(false);
            if (context.Result.IsFailure())
            {
                break;
            }
        }

        return context.Result;
    }

    internal async ValueTask<bool> PublishAsync(PublishContext context, CancellationToken ct)
    {
        foreach (var hook in _publish)
        {
            if (!await hook.OnPublishAsync(context, ct).ConfigureAwait(false) || context.CloseClient)
            {
                return false;
            }
        }

        return true;
    }

    internal async ValueTask CloseAsync(CloseContext context, CancellationToken ct)
    {
        foreach (var hook in _close)
        {
            await hook.OnCloseAsync(context, ct).ConfigureAwait(false);
        }
    }

    internal async ValueTask StopAsync(CancellationToken ct)
    {
        foreach (var hook in _stop)
        {
            await hook.OnStopAsync(ct).ConfigureAwait(false);
        }
    }

    private static BrokerHook[] Overriding(BrokerHook[] hooks, string method) =>
        hooks.Where(h => h.GetType().GetMethod(method, BindingFlags.Public | BindingFlags.Instance)!.DeclaringType != typeof(BrokerHook)).ToArray();
}
