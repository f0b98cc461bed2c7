using System.Buffers;
using System.Text;
using Starling.Broker.Hooks;
using Starling.Broker.Routing;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>PUBLISH from a client, and PUBREL that completes an incoming QoS 2 flow.</summary>
public sealed partial class MqttConnection
{
    private (string Topic, byte[] Utf8)?[]? _inboundAliases;
    private PublishRateLimiter? _publishRate;
    private string? _lastTopic;
    private byte[]? _lastTopicUtf8;
    private ScratchMessage? _scratch;

    private async ValueTask HandlePublishAsync(MqttFixedHeader header, ReadOnlySequence<byte> body)
    {
        var view = MqttPacketReader.ReadPublish(header, body, _version);
        _broker.Metrics.MessageReceived(view.QoS);
        var session = _session!;
        if ((int)view.QoS > _broker.Options.MaximumQoS)
        {
            // [MQTT-3.2.2-11] A QoS above the Maximum QoS we announced is a protocol error (0x9B).
            throw new MqttProtocolException(MqttReasonCode.QoSNotSupported, "MQTT-3.2.2-11", "PUBLISH QoS exceeds the server's maximum.");
        }

        if (view.Retain && !_broker.Options.RetainAvailable && _version == MqttProtocolVersion.V500)
        {
            // We said Retain Available = 0: a retained PUBLISH is DISCONNECT 0x9A (5.0 section 3.2.2.3.5).
            throw new MqttProtocolException(MqttReasonCode.RetainNotSupported, "MQTT-3.2.2-14", "Retained messages are not supported.");
        }

        MqttProperties? properties = null;
        IncomingTopic? aliasedTopic = null;
        if (_version == MqttProtocolVersion.V500 && !view.Properties.IsEmpty)
        {
            properties = MqttPacketReader.ReadProperties(view.Properties, MqttPacketType.Publish);
            if (properties.SubscriptionIdentifiers is not null)
            {
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.3.4-6", "A client PUBLISH must not carry a Subscription Identifier.");
            }

            if (properties.TopicAlias is { } alias)
            {
                aliasedTopic = ResolveTopicAlias(alias, view.Topic);
                properties.TopicAlias = null; // an alias belongs to this connection and is never forwarded
            }
        }

        if (aliasedTopic is null && view.Topic.IsEmpty)
        {
            // [MQTT-4.7.3-1] Empty only with a topic alias (5.0); then 0x82, a protocol error.
            throw new MqttProtocolException(_version == MqttProtocolVersion.V500 ? MqttReasonCode.ProtocolError : MqttReasonCode.TopicNameInvalid, "MQTT-4.7.3-1", "Topic name is empty.");
        }

        // From here on the topic is this one value; its string and arrays are made only where needed.
        var topic = aliasedTopic ?? IncomingTopic.Received(view.Topic);
        CheckTopicLimits(topic.Utf8);

        // What this PUBLISH appends to the journal (its incoming QoS 2 id, the copies for persistent sessions, the
        // retained update) is what its acknowledgement waits for; the hooks may move it to another thread, so the
        // two synchronous stretches are counted apart.
        long position = 0;
        if (view.QoS != MqttQualityOfService.AtMostOnce && _broker.Journal?.RecentFailure is { } failure)
        {
            RefuseWhileStoreFails(view, failure);
            return;
        }

        if (view.QoS == MqttQualityOfService.ExactlyOnce)
        {
            if (_version == MqttProtocolVersion.V500 && session.IncomingQoS2Count >= _broker.Options.ReceiveMaximum && !session.HoldsIncomingQoS2(view.PacketId))
            {
                // [MQTT-3.3.4-9] More unacknowledged QoS 2 PUBLISH than the Receive Maximum we announced.
                throw new MqttProtocolException(MqttReasonCode.ReceiveMaximumExceeded, "MQTT-3.3.4-9", "Receive Maximum exceeded.");
            }

            BeginJournalTracking();
            bool first = session.TryBeginIncomingQoS2(view.PacketId);
            position = EndJournalTracking();
            if (!first)
            {
                // [MQTT-4.3.3-10] A resend of a QoS 2 PUBLISH not yet released: acknowledge again, do not deliver again.
                WriteAck(new PubRecPacket { PacketId = view.PacketId }, position);
                return;
            }
        }

        var reason = MqttReasonCode.Success;
        string? reasonString = null;
        if (_broker.Hooks.HasPublish)
        {
            topic = topic.WithName(); // decoded once: the hooks' view and then the message share the string
            var context = new PublishContext(_client!, new ApplicationMessageView(topic.Name, view.Payload.ToArray(), view.QoS, view.Retain, properties));
            bool allowed = await _broker.Hooks.PublishAsync(context, _broker.Stopping.Token).ConfigureAwait(false);

            if (context.CloseClient)
            {
                session.ReleaseIncomingQoS2(view.PacketId);
                WriteDisconnectIfV5(context.RefusalReasonCode);
                CloseConnection(CloseReason.Refused);
                return;
            }

            if (!allowed)
            {
                // 3.1.1 acknowledges a refused PUBLISH as usual; 5.0 says why with a reason code (section 3.4.2.1).
                reason = context.RefusalReasonCode;
                reasonString = context.ReasonString;
            }
            else
            {
                position = Math.Max(position, Route(view, topic, context.Message.Payload, properties));
            }
        }
        else
        {
            position = Math.Max(position, Route(view, topic, payload: null, properties));
        }

        Acknowledge(view, reason, reasonString, position);
        if (_publishRate is { } rate)
        {
            var pause = rate.Count(view.Payload.Length, Environment.TickCount64);
            if (pause > TimeSpan.Zero)
            {
                // Backpressure, not loss: this connection's reads pause until its rate is back under the limit.
                _broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumPublishRate));
                await Task.Delay(pause).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Refuses a topic name longer, or deeper, than the configured limits.</summary>
    private void CheckTopicLimits(ReadOnlySpan<byte> topic)
    {
        var options = _broker.Options;
        if (topic.Length > options.MaximumTopicLength || topic.Count((byte)'/') >= options.MaximumTopicLevels)
        {
            _broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumTopicLength));
            throw new MqttProtocolException(MqttReasonCode.TopicNameInvalid, "topic-limit", "Topic name exceeds the configured length or levels.");
        }
    }

    /// <summary>Routes the message (<see cref="RouteNow"/>) and returns the last journal position it appended, 0 when none.</summary>
    private long Route(in MqttPublishView view, in IncomingTopic topic, ReadOnlyMemory<byte>? payload, MqttProperties? properties)
    {
        if (view.QoS == MqttQualityOfService.AtMostOnce)
        {
            RouteNow(view, topic, payload, properties); // nothing to acknowledge, so nothing to wait for
            return 0;
        }

        BeginJournalTracking();
        RouteNow(view, topic, payload, properties);
        return EndJournalTracking();
    }

    /// <summary>
    /// Matches the topic, and only when someone subscribes or the message is retained builds the shared
    /// <see cref="ApplicationMessage"/> (one copy of the payload) and hands it on. A small payload the hooks did not
    /// copy goes into the connection's <see cref="ScratchMessage"/>, reused unless a delivery held it.
    /// </summary>
    private void RouteNow(in MqttPublishView view, in IncomingTopic topic, ReadOnlyMemory<byte>? payload, MqttProperties? properties)
    {
        var matches = _broker.Router.Match(topic.Utf8);
        bool retain = view.Retain && _broker.Options.RetainAvailable;
        if (matches.Count == 0 && !retain && _broker.Observer is null && _broker.Router.Remote is null)
        {
            return; // a watching monitor sees every message, matched or not, and the cluster's other brokers may want it
        }

        // A topic still only received may be the previous message's again; one the connection holds forms of already is not.
        var (name, utf8) = topic.OnlyReceived ? RememberTopic(topic.Utf8) : topic.ToOwned();
        if (payload is null && ScratchMessage.Fits(view.Payload.Length))
        {
            var scratch = _scratch ??= new ScratchMessage();
            try
            {
                _broker.Publish(scratch.Fill(name, utf8, view.Payload, view.QoS, view.Retain, properties, _client!.ClientId), matches);
            }
            finally
            {
                scratch.Release();
            }

            return;
        }

        _broker.Publish(new ApplicationMessage(name, payload ?? view.Payload.ToArray(), view.QoS, view.Retain, properties, _client!.ClientId, utf8), matches);
    }

    /// <summary>
    /// The topic as a string and as bytes, reusing the previous message's when this one has the same topic: a
    /// device mostly publishes to the same topic again, and then the message costs no topic allocations.
    /// </summary>
    private (string Topic, byte[] Utf8) RememberTopic(ReadOnlySpan<byte> topicUtf8)
    {
        if (_lastTopicUtf8 is not null && topicUtf8.SequenceEqual(_lastTopicUtf8))
        {
            return (_lastTopic!, _lastTopicUtf8);
        }

        _lastTopicUtf8 = topicUtf8.ToArray();
        _lastTopic = Encoding.UTF8.GetString(topicUtf8);
        return (_lastTopic, _lastTopicUtf8);
    }

    /// <summary>
    /// 5.0 topic alias from the client [MQTT-3.3.2-8..12]: a PUBLISH with a topic and an alias sets the alias; one
    /// with an empty topic uses it. 0 or above our Topic Alias Maximum is DISCONNECT 0x94.
    /// </summary>
    private IncomingTopic ResolveTopicAlias(ushort alias, in ReadOnlySequence<byte> topic)
    {
        int maximum = _broker.Options.TopicAliasMaximum;
        if (alias == 0 || alias > maximum)
        {
            throw new MqttProtocolException(MqttReasonCode.TopicAliasInvalid, "MQTT-3.3.2-9", $"Topic alias {alias} is outside 1..{maximum}.");
        }

        var aliases = _inboundAliases ??= new (string, byte[])?[maximum + 1];
        if (!topic.IsEmpty)
        {
            var utf8 = topic.ToArray();
            var name = Encoding.UTF8.GetString(utf8);
            aliases[alias] = (name, utf8);
            return IncomingTopic.Owned(name, utf8);
        }

        return aliases[alias] is { } known
            ? IncomingTopic.Owned(known.Topic, known.Utf8)
            : throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.3.2-12", $"Topic alias {alias} was never set on this connection.");
    }

    private void Acknowledge(in MqttPublishView view, MqttReasonCode reason, string? reasonString, long position)
    {
        var properties = ProblemProperties(reasonString);
        switch (view.QoS)
        {
            case MqttQualityOfService.AtLeastOnce:
                WriteAck(new PubAckPacket { PacketId = view.PacketId, ReasonCode = reason, Properties = properties }, position); // [MQTT-4.3.2-2]
                break;
            case MqttQualityOfService.ExactlyOnce:
                if (reason.IsFailure())
                {
                    _session!.ReleaseIncomingQoS2(view.PacketId); // a failed PUBREC ends the flow (5.0 section 4.3.3)
                }

                WriteAck(new PubRecPacket { PacketId = view.PacketId, ReasonCode = reason, Properties = properties }, position); // [MQTT-4.3.3-2]
                break;
        }
    }

    private void HandlePubRel(PubRelPacket packet)
    {
        BeginJournalTracking();
        bool known = _session!.ReleaseIncomingQoS2(packet.PacketId);
        long position = EndJournalTracking(); // the release must be durable first: else, after a crash, the id's next PUBLISH would look like a resend

        // [MQTT-4.3.3-11] Answer PUBREL with PUBCOMP, even for an id we do not hold (5.0 says so with 0x92).
        WriteAck(new PubCompPacket { PacketId = packet.PacketId, ReasonCode = known ? MqttReasonCode.Success : MqttReasonCode.PacketIdentifierNotFound }, position);
    }

    private MqttProperties? ProblemProperties(string? reasonString) =>
        _version == MqttProtocolVersion.V500 && _requestProblemInformation && reasonString is not null
            ? new MqttProperties { ReasonString = reasonString }
            : null;

    /// <summary>The will this connection's loss would publish now, and its delay; null when there is none or a DISCONNECT discarded it.</summary>
    ApplicationMessage? Sessions.ISessionConnection.PendingWill(out uint delay)
    {
        delay = 0;
        if (!_publishWill || _will is not { } will)
        {
            return null;
        }

        return WillMessage(will, out delay);
    }

    private ApplicationMessage WillMessage(MqttWill will, out uint delay)
    {
        delay = _version == MqttProtocolVersion.V500 ? will.Properties?.WillDelayInterval ?? 0 : 0;

        // Only what a PUBLISH may carry goes out with the will: never its Will Delay Interval [MQTT-3.3.2-4 and table 2-4].
        return new ApplicationMessage(will.Topic, will.Payload, will.QoS, will.Retain, will.Properties?.ForPublish(), _client?.ClientId);
    }

    /// <summary>
    /// The will of a connection that closed without a normal DISCONNECT [MQTT-3.1.2-8]. 5.0 Will Delay Interval
    /// holds it back until the delay passes or the session ends, and a resumed session cancels it; a takeover
    /// by a connection that continues the session (Clean Start 0) cancels a delayed will too [MQTT-3.1.3-9].
    /// </summary>
    private void PublishWill(Sessions.Session session, MqttWill will, Sessions.DetachOutcome outcome)
    {
        var message = WillMessage(will, out uint delay);
        if (delay == 0 || outcome == Sessions.DetachOutcome.Ended || (outcome == Sessions.DetachOutcome.TakenOver && session.Ended))
        {
            _broker.Publish(message);
        }
        else if (outcome == Sessions.DetachOutcome.Kept)
        {
            _broker.Sessions.DelayWill(session, message, delay);
        }
    }
}
