using System.Text;
using Microsoft.Extensions.Logging;
using Starling.Broker;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Bridge;

/// <summary>
/// One bridge: a link of two MQTT clients, one to the remote broker and one to this broker (in-process, see
/// <see cref="MqttBroker.ConnectInProcess"/>), made again with backoff whenever either side drops.
/// The local side is an ordinary persistent session of this broker, so while the remote broker is away the
/// outbound messages wait in its queue, within the broker's limits, and in the durable store when that is on. An
/// outbound QoS 1 or 2 message is acknowledged to this broker only once the remote broker acknowledged it: one the
/// remote lost by going down is still in flight here, and the broker sends it again when the link is made again.
/// Inbound messages are acknowledged to the remote broker only once this broker took them, likewise.
/// </summary>
public sealed class MqttBridge : IAsyncDisposable
{
    private readonly BridgeOptions _options;
    private readonly MqttBroker _broker;
    private readonly ILogger _logger;
    private readonly BridgeTopicOptions[] _outbound;
    private readonly BridgeTopicOptions[] _inbound;
    private readonly EchoFilter? _echoes;
    private readonly CancellationTokenSource _stop = new();
    private Task? _run;
    private int _state;
    private long _forwardedOut;
    private long _forwardedIn;
    private int _disposed;

    public MqttBridge(BridgeOptions options, MqttBroker broker, ILogger<MqttBridge> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _broker = broker;
        _logger = logger;
        _outbound = [.. options.Topics.Where(t => t.Outbound)];
        _inbound = [.. options.Topics.Where(t => t.Inbound)];

        // A 3.1.1 remote broker sends the bridge its own messages back wherever an outbound topic meets an inbound one.
        _echoes = options.Version == MqttProtocolVersion.V311 && _outbound.Length > 0 && _inbound.Length > 0 ? new EchoFilter() : null;
    }

    public string Name => _options.Name;

    public BridgeState State => (BridgeState)Volatile.Read(ref _state);

    /// <summary>Messages handed to the remote broker (acknowledged, for QoS 1 and 2), and to this broker.</summary>
    public (long Out, long In) Forwarded => (Interlocked.Read(ref _forwardedOut), Interlocked.Read(ref _forwardedIn));

    /// <summary>Starts the link in the background; call once the broker has started.</summary>
    public void Start() => _run ??= Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Why the last link failed or could not be made; null before any failure.</summary>
    public string? LastError { get; private set; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // the hosted service stops it, and the container disposes it at the end
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            await _run.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(_options.ReconnectMinSeconds), TimeSpan.FromSeconds(_options.ReconnectMaxSeconds));
        while (!stop.IsCancellationRequested)
        {
            string reason;
            try
            {
                SetState(BridgeState.Connecting);
                reason = await RunLinkAsync(backoff, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                reason = ex.Message;
            }

            if (stop.IsCancellationRequested)
            {
                break;
            }

            LastError = reason;
            var delay = backoff.Next();
            SetState(BridgeState.WaitingToReconnect);
            BridgeLog.Failed(_logger, Name, _options.Address, _options.EffectivePort, reason, (long)delay.TotalMilliseconds);
            try
            {
                await Task.Delay(delay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        SetState(BridgeState.Stopped);
        BridgeLog.Stopped(_logger, Name);
    }

    /// <summary>Makes one link and runs it until either side drops (the reason is returned) or the bridge stops.</summary>
    private async Task<string> RunLinkAsync(ReconnectBackoff backoff, CancellationToken stop)
    {
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var remote = new MqttClient();
        await using var local = new MqttClient();
        using var linkDown = CancellationTokenSource.CreateLinkedTokenSource(stop);

        // Either side may deliver as soon as it is connected (a session kept there): nothing moves until both are.
        remote.MessageReceived = async (message, _) =>
        {
            await ready.Task.ConfigureAwait(false);
            await ForwardInAsync(message, remote, local, linkDown).ConfigureAwait(false);
        };
        local.MessageReceived = async (message, _) =>
        {
            await ready.Task.ConfigureAwait(false);
            ForwardOut(message, remote, local, linkDown);
        };

        ConnAckPacket connAck;
        try
        {
            connAck = await remote.ConnectAsync(RemoteOptions(), stop).ConfigureAwait(false);
            await local.ConnectAsync(LocalOptions(), stop).ConfigureAwait(false);
            await SubscribeAsync(remote, local, stop).ConfigureAwait(false);
            ready.TrySetResult();
        }
        finally
        {
            ready.TrySetCanceled(CancellationToken.None); // a link that failed to come up frees its waiting handlers
        }

        backoff.Reset();
        SetState(BridgeState.Connected);
        BridgeLog.Connected(_logger, Name, _options.Address, _options.EffectivePort, _options.ProtocolVersion, connAck.SessionPresent);

        var stopped = Task.Delay(Timeout.Infinite, linkDown.Token);
        var ended = await Task.WhenAny(remote.Completion, local.Completion, stopped).ConfigureAwait(false);
        await linkDown.CancelAsync().ConfigureAwait(false);
        if (ended == stopped && stop.IsCancellationRequested)
        {
            // A graceful end on both sides: the sessions stay (CleanStart false), what is in flight is sent again next time.
            await DisconnectQuietlyAsync(local).ConfigureAwait(false);
            await DisconnectQuietlyAsync(remote).ConfigureAwait(false);
            return "stopped";
        }

        string reason = ended == remote.Completion ? "remote broker: " + remote.Completion.Result
            : ended == local.Completion ? "local broker: " + local.Completion.Result
            : "a forward failed";
        // The other side goes too: the local session keeps what was not acknowledged, to send it again on the next link.
        remote.Abort();
        local.Abort();
        return reason;
    }

    private MqttClientOptions RemoteOptions()
    {
        var version = _options.Version;
        var options = new MqttClientOptions
        {
            Host = _options.Address,
            Port = _options.EffectivePort,
            ProtocolVersion = version,
            ClientId = _options.EffectiveClientId,
            CleanSession = _options.CleanStart,
            KeepAlive = TimeSpan.FromSeconds(_options.KeepAliveSeconds),
            Username = _options.Username,
            Password = Secret(_options.Password),
            SessionExpiryInterval = version == MqttProtocolVersion.V500 && !_options.CleanStart ? _options.SessionExpirySeconds : null,
            AutoAcknowledge = false,
            UseMessageChannel = false,
        };
        if (_options.Tls.Enabled)
        {
            options.StreamFactory = cancellationToken => BridgeTls.ConnectAsync(_options, cancellationToken);
        }

        return options;
    }

    private MqttClientOptions LocalOptions() => new()
    {
        StreamFactory = _ => ValueTask.FromResult(_broker.ConnectInProcess("bridge:" + Name)),
        ProtocolVersion = MqttProtocolVersion.V500, // for No Local and Retain As Published, whatever the remote side speaks
        ClientId = _options.EffectiveLocalClientId,
        CleanSession = false,
        SessionExpiryInterval = uint.MaxValue, // the local queue outlives any outage (the broker may grant less)
        KeepAlive = TimeSpan.Zero, // no network between the two ends
        Username = _options.LocalUsername,
        Password = Secret(_options.LocalPassword),
        AutoAcknowledge = false,
        UseMessageChannel = false,
    };

    private async Task SubscribeAsync(MqttClient remote, MqttClient local, CancellationToken cancellationToken)
    {
        bool v5 = _options.Version == MqttProtocolVersion.V500;
        if (_inbound.Length > 0)
        {
            // No Local there: what the bridge publishes there is not sent back to it [MQTT-3.8.3-3] (5.0 only; 3.1.1 has the echo filter).
            var subscriptions = _inbound.Select(t => new MqttSubscription { TopicFilter = t.RemoteFilter, QoS = t.Qos, NoLocal = v5, RetainAsPublished = v5 }).ToList();
            var granted = await remote.SubscribeAsync(subscriptions, cancellationToken: cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < granted.ReasonCodes.Count && i < subscriptions.Count; i++)
            {
                if (granted.ReasonCodes[i].IsFailure())
                {
                    BridgeLog.SubscriptionRefused(_logger, Name, subscriptions[i].TopicFilter, granted.ReasonCodes[i].ToString());
                }
            }
        }

        if (_outbound.Length > 0)
        {
            // No Local here: what the bridge brought in is not sent back out, whichever version the remote speaks [MQTT-3.8.3-3].
            // Retain As Published keeps the retain flag of what goes out [MQTT-3.3.1-12].
            var subscriptions = _outbound.Select(t => new MqttSubscription { TopicFilter = t.LocalFilter, QoS = t.Qos, NoLocal = true, RetainAsPublished = true }).ToList();
            await local.SubscribeAsync(subscriptions, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A message of this broker's goes to the remote broker. Sent at once (the next one need not wait for this one's
    /// PUBACK) and acknowledged here when the remote broker acknowledged it.
    /// </summary>
    private void ForwardOut(PublishPacket message, MqttClient remote, MqttClient local, CancellationTokenSource linkDown)
    {
        var topic = Array.Find(_outbound, t => t.ToRemote(message.Topic) is not null);
        if (topic is null)
        {
            _ = local.AckAsync(message);
            return;
        }

        string remoteTopic = topic.ToRemote(message.Topic)!;
        var qos = (MqttQualityOfService)Math.Min((int)message.QoS, (int)topic.Qos);
        _echoes?.Sent(remoteTopic, message.Payload.Span);
        var sent = remote.PublishAsync(new PublishPacket { Topic = remoteTopic, Payload = message.Payload, QoS = qos, Retain = message.Retain, Properties = message.Properties?.ForPublish() }, linkDown.Token);
        _ = AcknowledgeWhenSentAsync(sent, message, remoteTopic, local, linkDown);
    }

    private async Task AcknowledgeWhenSentAsync(Task<MqttReasonCode> sent, PublishPacket message, string remoteTopic, MqttClient local, CancellationTokenSource linkDown)
    {
        try
        {
            var code = await sent.ConfigureAwait(false);
            if (code.IsFailure())
            {
                // A refusal (not authorized, say) is final: sending it again would be refused again.
                BridgeLog.Refused(_logger, Name, remoteTopic, code.ToString());
            }

            Interlocked.Increment(ref _forwardedOut);
            await local.AckAsync(message).ConfigureAwait(false);
        }
        catch (Exception) when (!linkDown.IsCancellationRequested)
        {
            // Not acknowledged here: still in flight in the local session, sent again on the next link.
            await linkDown.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The link is already down.
        }
    }

    /// <summary>A message of the remote broker's comes into this broker, and is acknowledged there once this broker took it.</summary>
    private async Task ForwardInAsync(PublishPacket message, MqttClient remote, MqttClient local, CancellationTokenSource linkDown)
    {
        var topic = Array.Find(_inbound, t => t.ToLocal(message.Topic) is not null);
        try
        {
            if (topic is not null && !(_echoes?.IsEcho(message.Topic, message.Payload.Span) ?? false))
            {
                var qos = (MqttQualityOfService)Math.Min((int)message.QoS, (int)topic.Qos);
                await local.PublishAsync(new PublishPacket { Topic = topic.ToLocal(message.Topic)!, Payload = message.Payload, QoS = qos, Retain = message.Retain, Properties = message.Properties?.ForPublish() }, linkDown.Token).ConfigureAwait(false);
                Interlocked.Increment(ref _forwardedIn);
            }

            await remote.AckAsync(message, cancellationToken: linkDown.Token).ConfigureAwait(false);
        }
        catch (Exception) when (!linkDown.IsCancellationRequested)
        {
            // Not acknowledged there: the remote broker sends it again on the next link (its session is kept).
            await linkDown.CancelAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
        }
    }

    /// <summary>The password's bytes, or none at all (not an empty one: a password without a user name is a protocol error [MQTT-3.1.2-22]).</summary>
    /// <remarks>Not a conditional expression: its null would turn into an empty array through byte[]'s conversion, and set the flag.</remarks>
    private static ReadOnlyMemory<byte>? Secret(string? password)
    {
        if (password is null)
        {
            return default(ReadOnlyMemory<byte>?);
        }

        return Encoding.UTF8.GetBytes(password);
    }

    private static async Task DisconnectQuietlyAsync(MqttClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.DisconnectAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            client.Abort();
        }
    }

    private void SetState(BridgeState state) => Volatile.Write(ref _state, (int)state);
}
