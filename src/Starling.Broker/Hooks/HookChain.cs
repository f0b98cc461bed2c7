using System.Reflection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Starling.Broker.Diagnostics;
using Starling.Mqtt;

namespace Starling.Broker.Hooks;

/// <summary>
/// The registered hooks, split per hook point into arrays that hold only the hooks overriding that point,
/// so the broker tests one array length and skips a point nobody uses.
/// </summary>
/// <remarks>
/// The failure policy lives here, once: a hook that throws is logged and its point answers as a refusal
/// (OnAccept closes the socket, OnConnect refuses with 0x80, OnAuthenticate fails with 0x80, OnSubscribe
/// grants 0x80, OnPublish refuses the message), while OnClose and OnStop only log. A hook's bug then never
/// lets a client through, and never escapes into the connection's receive loop.
/// </remarks>
public sealed class HookChain
{
    private readonly BrokerHook[] _accept;
    private readonly BrokerHook[] _connect;
    private readonly BrokerHook[] _authenticate;
    private readonly BrokerHook[] _subscribe;
    private readonly BrokerHook[] _publish;
    private readonly BrokerHook[] _close;
    private readonly BrokerHook[] _stop;
    private readonly ILogger _logger;

    /// <summary>Builds the chain; the order of <paramref name="hooks"/> is the order they run in.</summary>
    public HookChain(IEnumerable<BrokerHook> hooks)
        : this(hooks, NullLogger.Instance)
    {
    }

    /// <summary>Builds the chain, logging a hook that throws to <paramref name="logger"/>.</summary>
    internal HookChain(IEnumerable<BrokerHook> hooks, ILogger logger)
    {
        var all = hooks.ToArray();
        _accept = Overriding(all, nameof(BrokerHook.OnAcceptAsync));
        _connect = Overriding(all, nameof(BrokerHook.OnConnectAsync));
        _authenticate = Overriding(all, nameof(BrokerHook.OnAuthenticateAsync));
        _subscribe = Overriding(all, nameof(BrokerHook.OnSubscribeAsync));
        _publish = Overriding(all, nameof(BrokerHook.OnPublishAsync));
        _close = Overriding(all, nameof(BrokerHook.OnCloseAsync));
        _stop = Overriding(all, nameof(BrokerHook.OnStopAsync));
        _logger = logger;
    }

    /// <summary>An empty chain.</summary>
    public static HookChain Empty { get; } = new([]);

    internal bool HasAccept => _accept.Length > 0;

    internal bool HasConnect => _connect.Length > 0;

    internal bool HasSubscribe => _subscribe.Length > 0;

    internal bool HasPublish => _publish.Length > 0;

    internal bool HasClose => _close.Length > 0;

    /// <summary>True when every OnAccept hook lets the connection in; a hook that throws closes it.</summary>
    internal async ValueTask<bool> AcceptAsync(AcceptContext context, CancellationToken ct)
    {
        try
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.HookFailed(_logger, ex, "OnAccept");
            return false;
        }
    }

    /// <summary>The first refusal of the OnConnect hooks, or Success; a hook that throws refuses with 0x80.</summary>
    internal async ValueTask<MqttReasonCode> ConnectAsync(ConnectContext context, CancellationToken ct)
    {
        try
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.HookFailed(_logger, ex, "OnConnect");
            return MqttReasonCode.UnspecifiedError;
        }
    }

    /// <summary>
    /// One step of an enhanced authentication exchange: the hook that took up the exchange answers, or the first
    /// that handles the method; a hook that throws fails the exchange with 0x80.
    /// </summary>
    internal async ValueTask<AuthenticationResult> AuthenticateAsync(AuthenticationContext context, CancellationToken ct)
    {
        try
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.HookFailed(_logger, ex, "OnAuthenticate");
            return AuthenticationResult.Fail(MqttReasonCode.UnspecifiedError);
        }
    }

    /// <summary>The code granted after each OnSubscribe hook had its say; a hook that throws grants 0x80.</summary>
    internal async ValueTask<MqttReasonCode> SubscribeAsync(SubscribeContext context, CancellationToken ct)
    {
        try
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.HookFailed(_logger, ex, "OnSubscribe");
            return MqttReasonCode.UnspecifiedError;
        }
    }

    /// <summary>
    /// True when every OnPublish hook lets the message through; a hook that throws refuses it. The caller still reads
    /// <see cref="PublishContext.CloseClient"/>, which a hook may have set before it threw.
    /// </summary>
    internal async ValueTask<bool> PublishAsync(PublishContext context, CancellationToken ct)
    {
        try
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
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.HookFailed(_logger, ex, "OnPublish");
            return false;
        }
    }

    /// <summary>Runs the OnClose hooks; the connection is gone already, so a hook that throws is only logged.</summary>
    internal async ValueTask CloseAsync(CloseContext context, CancellationToken ct)
    {
        try
        {
            foreach (var hook in _close)
            {
                await hook.OnCloseAsync(context, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.HookFailed(_logger, ex, "OnClose");
        }
    }

    /// <summary>Runs the OnStop hooks; the broker stops regardless, so a hook that throws is only logged.</summary>
    internal async ValueTask StopAsync(CancellationToken ct)
    {
        try
        {
            foreach (var hook in _stop)
            {
                await hook.OnStopAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.HookFailed(_logger, ex, "OnStop");
        }
    }

    private static BrokerHook[] Overriding(BrokerHook[] hooks, string method) =>
        hooks.Where(h => h.GetType().GetMethod(method, BindingFlags.Public | BindingFlags.Instance)!.DeclaringType != typeof(BrokerHook)).ToArray();
}
