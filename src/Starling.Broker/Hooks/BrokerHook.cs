using Starling.Mqtt;

namespace Starling.Broker.Hooks;

/// <summary>
/// A hook customises the broker: override the methods you need. Hooks form a chain in the order they
/// are registered; each method's remarks say how the chain combines their answers. A method no hook
/// overrides is never called, so an unused hook point costs nothing on the hot path.
/// </summary>
public abstract class BrokerHook
{
    /// <summary>
    /// A TCP or TLS connection arrived, before any MQTT byte. Return false to close the socket (a blacklist,
    /// a rate limit). Not called for WebSocket. The chain stops at the first false.
    /// </summary>
    public virtual ValueTask<bool> OnAcceptAsync(AcceptContext context, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    /// <summary>
    /// A CONNECT arrived: authenticate it. Return <see cref="MqttReasonCode.Success"/> to accept or a CONNACK
    /// reason code to refuse (mapped to the 3.1.1 return code for older clients). The chain stops at the
    /// first refusal.
    /// </summary>
    public virtual ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken) => ValueTask.FromResult(MqttReasonCode.Success);

    /// <summary>
    /// 5.0 enhanced authentication (section 4.12): a CONNECT naming an Authentication Method, each AUTH that
    /// continues it, and re-authentication (AUTH 0x19). Return <see cref="AuthenticationResult.NotHandled"/> for
    /// methods you do not know. The first hook that handles the method handles the whole exchange; a CONNECT
    /// it accepts still goes through the OnConnect hooks.
    /// </summary>
    public virtual ValueTask<AuthenticationResult> OnAuthenticateAsync(AuthenticationContext context, CancellationToken cancellationToken) => ValueTask.FromResult(AuthenticationResult.NotHandled);

    /// <summary>
    /// One filter of a SUBSCRIBE. <see cref="SubscribeContext.Result"/> holds the QoS the broker would grant;
    /// return it, a lower QoS, or a failure code (0x80 and above). Each hook sees the previous one's answer;
    /// the chain stops at the first failure.
    /// </summary>
    public virtual ValueTask<MqttReasonCode> OnSubscribeAsync(SubscribeContext context, CancellationToken cancellationToken) => ValueTask.FromResult(context.Result);

    /// <summary>
    /// A PUBLISH from a client. Return false to acknowledge it without delivering or retaining it (5.0 clients
    /// get <see cref="PublishContext.RefusalReasonCode"/>); set <see cref="PublishContext.CloseClient"/> to
    /// close the client. The chain stops at the first false.
    /// </summary>
    public virtual ValueTask<bool> OnPublishAsync(PublishContext context, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    /// <summary>A client's network connection has closed. Every hook is called.</summary>
    public virtual ValueTask OnCloseAsync(CloseContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>The broker has stopped: every listener and client is closed. Every hook is called.</summary>
    public virtual ValueTask OnStopAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
