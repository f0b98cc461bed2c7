using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

public sealed partial class MqttClient
{
    private readonly Channel<PublishPacket> _inbound = Channel.CreateUnbounded<PublishPacket>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<PublishPacket> _messages = Channel.CreateUnbounded<PublishPacket>();

    /// <summary>QoS 2 packet ids received and not yet released by PUBREL; the value is whether PUBREC was sent.</summary>
    private readonly Dictionary<ushort, bool> _incomingQoS2 = [];

    /// <summary>5.0 topic aliases the broker has set on this connection.</summary>
    private readonly Dictionary<ushort, string> _topicAliases = [];

    /// <summary>
    /// Called for every incoming PUBLISH, one at a time in arrival order, before it is queued for
    /// <see cref="ReadAsync"/> and acknowledged. Exceptions are swallowed. It runs apart from the read loop,
    /// so it may itself publish and wait for acknowledgements.
    /// </summary>
    public Func<PublishPacket, CancellationToken, Task>? MessageReceived { get; set; }

    /// <summary>The incoming PUBLISH packets (unless <see cref="MqttClientOptions.UseMessageChannel"/> is false); completes when the connection ends.</summary>
    public ChannelReader<PublishPacket> Messages => _messages.Reader;

    /// <summary>
    /// Waits for the next incoming PUBLISH. Messages received before the connection ended can still be read;
    /// after them it throws <see cref="ChannelClosedException"/>.
    /// </summary>
    public ValueTask<PublishPacket> ReadAsync(CancellationToken cancellationToken = default) => _messages.Reader.ReadAsync(cancellationToken);

    /// <summary>Takes the next incoming PUBLISH if one is waiting.</summary>
    public bool TryRead([NotNullWhen(true)] out PublishPacket? packet) => _messages.Reader.TryRead(out packet);

    /// <summary>Every incoming PUBLISH until the connection ends.</summary>
    public IAsyncEnumerable<PublishPacket> ReadAllAsync(CancellationToken cancellationToken = default) => _messages.Reader.ReadAllAsync(cancellationToken);

    /// <summary>
    /// Acknowledges an incoming PUBLISH: PUBACK for QoS 1, PUBREC for QoS 2 (the later PUBREL is answered
    /// automatically), nothing for QoS 0. Only needed with <see cref="MqttClientOptions.AutoAcknowledge"/> off.
    /// <paramref name="reasonCode"/> is sent in 5.0; a failure code on PUBREC ends the QoS 2 exchange.
    /// </summary>
    public Task AckAsync(PublishPacket packet, MqttReasonCode reasonCode = MqttReasonCode.Success, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(packet);
        switch (packet.QoS)
        {
            case MqttQualityOfService.AtLeastOnce:
                return SendAsync(new PubAckPacket { PacketId = packet.PacketId, ReasonCode = reasonCode }, cancellationToken);
            case MqttQualityOfService.ExactlyOnce:
                lock (_incomingQoS2)
                {
                    if (reasonCode.IsFailure())
                    {
                        _incomingQoS2.Remove(packet.PacketId);
                    }
                    else
                    {
                        _incomingQoS2[packet.PacketId] = true;
                    }
                }

                return SendAsync(new PubRecPacket { PacketId = packet.PacketId, ReasonCode = reasonCode }, cancellationToken);
            default:
                return Task.CompletedTask;
        }
    }

    /// <summary>Read loop: resolve the topic alias, drop QoS 2 duplicates, queue for dispatch.</summary>
    private MqttClientDisconnectedEventArgs? OnPublish(PublishPacket publish)
    {
        if (publish.Properties?.TopicAlias is { } alias)
        {
            if (publish.Topic.Length > 0)
            {
                _topicAliases[alias] = publish.Topic;
            }
            else if (_topicAliases.TryGetValue(alias, out var topic))
            {
                publish.Topic = topic;
            }
            else
            {
                return new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Error, exception: new MqttClientException($"Unknown topic alias {alias}.", MqttReasonCode.TopicAliasInvalid));
            }
        }

        if (publish.QoS == MqttQualityOfService.ExactlyOnce)
        {
            bool acknowledged;
            lock (_incomingQoS2)
            {
                if (!_incomingQoS2.TryGetValue(publish.PacketId, out acknowledged))
                {
                    _incomingQoS2[publish.PacketId] = false;
                    _inbound.Writer.TryWrite(publish);
                    return null;
                }
            }

            // A resend before PUBREL: delivered already, so only repeat the PUBREC if it was sent.
            if (acknowledged)
            {
                SendInBackground(new PubRecPacket { PacketId = publish.PacketId });
            }

            return null;
        }

        _inbound.Writer.TryWrite(publish);
        return null;
    }

    /// <summary>Read loop: PUBREL releases a QoS 2 packet id; always answered with PUBCOMP.</summary>
    private void OnPubRel(PubRelPacket pubRel)
    {
        bool known;
        lock (_incomingQoS2)
        {
            known = _incomingQoS2.Remove(pubRel.PacketId);
        }

        SendInBackground(new PubCompPacket
        {
            PacketId = pubRel.PacketId,
            ReasonCode = known ? MqttReasonCode.Success : MqttReasonCode.PacketIdentifierNotFound,
        });
    }

    /// <summary>Hands each incoming PUBLISH to the callback and the channel, then acknowledges it.</summary>
    private async Task DispatchLoopAsync()
    {
        var options = _options!;
        var token = _lifetime.Token;
        try
        {
            await foreach (var publish in _inbound.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (MessageReceived is { } handler)
                {
                    try
                    {
                        await handler(publish, token).ConfigureAwait(false);
                    }
                    catch (Exception)
                    {
                        // The handler's problem; the message still counts as delivered.
                    }
                }

                if (options.UseMessageChannel)
                {
                    _messages.Writer.TryWrite(publish);
                }

                if (options.AutoAcknowledge && publish.QoS != MqttQualityOfService.AtMostOnce && Volatile.Read(ref _state) != StateClosed)
                {
                    try
                    {
                        await AckAsync(publish, MqttReasonCode.Success, CancellationToken.None).ConfigureAwait(false);
                    }
                    catch (MqttClientException)
                    {
                        // Connection gone; the broker will redeliver on the next session.
                    }
                }
            }
        }
        finally
        {
            _messages.Writer.TryComplete();
        }
    }
}
