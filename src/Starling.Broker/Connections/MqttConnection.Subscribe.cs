using Starling.Broker.Hooks;
using Starling.Broker.Routing;
using Starling.Broker.Sessions;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>SUBSCRIBE and UNSUBSCRIBE.</summary>
public sealed partial class MqttConnection
{
    private async ValueTask HandleSubscribeAsync(SubscribePacket packet)
    {
        var session = _session!;
        uint subscriptionId = 0;
        if (packet.Properties?.SubscriptionIdentifiers is [var id, ..])
        {
            if (!_broker.Options.SubscriptionIdentifiersAvailable)
            {
                // We said Subscription Identifier Available = 0: using one is DISCONNECT 0xA1.
                throw new MqttProtocolException(MqttReasonCode.SubscriptionIdentifiersNotSupported, "MQTT-3.8.2-1", "Subscription identifiers are not supported.");
            }

            subscriptionId = id;
        }

        var codes = new List<MqttReasonCode>(packet.Subscriptions.Count);
        List<(Subscription Subscription, bool IsNew)>? granted = null;
        List<string>? clustered = null;
        bool subscribed = false;
        foreach (var request in packet.Subscriptions)
        {
            // Access rules that change while the hooks decide (an ACL reload) are applied below, under the gate.
            var revocationBefore = _broker.LatestRevocation;
            var code = await AuthorizeAsync(request).ConfigureAwait(false);
            if (!code.IsFailure())
            {
                var subscription = CreateSubscription(session, request, (MqttQualityOfService)code, subscriptionId);
                bool isNew;
                lock (session.Gate)
                {
                    if (_broker.LatestRevocation is { } revocation && !ReferenceEquals(revocation, revocationBefore) && !revocation.Keeps(session, request.TopicFilter))
                    {
                        // Granted under rules revoked since: the revocation may already have passed this session, so
                        // it is refused here rather than left to outlive the rules that refuse it.
                        codes.Add(MqttReasonCode.NotAuthorized);
                        continue;
                    }

                    // [MQTT-3.8.4-3] A subscription to the same filter replaces the previous one. The tree changes
                    // under the gate too, so a revocation or an UNSUBSCRIBE never leaves the two disagreeing.
                    isNew = session.SetSubscriptionLocked(subscription);
                    _broker.Router.Subscribe(subscription);
                    subscribed = true;
                }

                if (_broker.Router.Remote is not null)
                {
                    (clustered ??= []).Add(Routing.Router.RouteKey(subscription));
                }

                if (_broker.Retained.Count > 0)
                {
                    // Only needed to send the retained messages below; with none stored, nothing to collect.
                    (granted ??= []).Add((subscription, isNew));
                }
            }

            codes.Add(code);
        }

        // [MQTT-3.8.4-1] SUBACK with one code per filter, in order [MQTT-3.8.4-6], once the subscriptions are durable
        // (one journal entry for the packet, holding them all); the retained messages follow it.
        long position = subscribed ? JournalHeader(session) : 0;
        if (clustered is not null && _broker.Router.Remote is { } remote)
        {
            await remote.WhenRoutingAsync(clustered, _broker.Stopping.Token).ConfigureAwait(false); // in a cluster: once the other nodes route them here
        }

        await WriteAckAndWaitAsync(new SubAckPacket { PacketId = packet.PacketId, ReasonCodes = codes }, position).ConfigureAwait(false);
        if (granted is not null)
        {
            SendRetained(session, granted);
        }
    }

    /// <summary>Checks a requested filter, caps its QoS, and lets the OnSubscribe hooks decide.</summary>
    private async ValueTask<MqttReasonCode> AuthorizeAsync(MqttSubscription request)
    {
        bool v5 = _version == MqttProtocolVersion.V500;
        var invalid = v5 ? MqttReasonCode.TopicFilterInvalid : MqttReasonCode.UnspecifiedError;
        var options = _broker.Options;
        string topicFilter = request.TopicFilter;
        if (MqttTopic.TryParseShared(request.TopicFilter, out _, out var inner, out bool validShared))
        {
            if (!validShared)
            {
                return invalid;
            }

            if (!options.SharedSubscriptionsAvailable)
            {
                return v5 ? MqttReasonCode.SharedSubscriptionsNotSupported : MqttReasonCode.UnspecifiedError;
            }

            topicFilter = inner;

            if (request.NoLocal)
            {
                // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error.
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.8.3-4", "No Local set on a shared subscription.");
            }
        }
        else if (!MqttTopic.IsValidTopicFilter(request.TopicFilter))
        {
            return invalid; // an invalid filter fails alone; the others of the SUBSCRIBE are still granted
        }

        if (System.Text.Encoding.UTF8.GetByteCount(request.TopicFilter) > options.MaximumTopicLength || topicFilter.Count('/') >= options.MaximumTopicLevels)
        {
            _broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumTopicLength));
            return invalid;
        }

        if (options.MaximumSubscriptionsPerClient > 0 && !_session!.HasSubscription(request.TopicFilter) && _session.SubscriptionCount >= options.MaximumSubscriptionsPerClient)
        {
            _broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumSubscriptionsPerClient));
            return v5 ? MqttReasonCode.QuotaExceeded : MqttReasonCode.UnspecifiedError;
        }

        if (!options.WildcardSubscriptionAvailable && MqttTopic.HasWildcard(topicFilter))
        {
            return v5 ? MqttReasonCode.WildcardSubscriptionsNotSupported : MqttReasonCode.UnspecifiedError;
        }

        // [MQTT-3.8.4-5] Grant at most the server's maximum QoS.
        var code = (MqttReasonCode)Math.Min((int)request.QoS, _broker.Options.MaximumQoS);
        if (!_broker.Hooks.HasSubscribe)
        {
            return code;
        }

        return await _broker.Hooks.SubscribeAsync(new SubscribeContext(_client!, request, code), _broker.Stopping.Token).ConfigureAwait(false);
    }

    private static Subscription CreateSubscription(Session session, MqttSubscription request, MqttQualityOfService qos, uint subscriptionId) =>
        Subscription.Create(session, request.TopicFilter, qos, request.NoLocal, request.RetainAsPublished, request.RetainHandling, subscriptionId);

    /// <summary>
    /// Sends the retained messages matching newly granted filters, with RETAIN set [MQTT-3.3.1-8]. 5.0 Retain
    /// Handling 1 sends them only for a new subscription, 2 never; a shared subscription never gets them.
    /// </summary>
    private void SendRetained(Session session, List<(Subscription Subscription, bool IsNew)> granted)
    {
        List<ApplicationMessage>? retained = null;
        foreach (var (subscription, isNew) in granted)
        {
            if (subscription.ShareGroup is not null || subscription.RetainHandling == 2 || (subscription.RetainHandling == 1 && !isNew))
            {
                continue;
            }

            retained ??= [];
            retained.Clear();
            _broker.Retained.Match(subscription.TopicFilter, retained);
            foreach (var message in retained)
            {
                if (message.IsExpired)
                {
                    _broker.RemoveRetained(message.Topic); // an expired retained message is gone for everyone [MQTT-3.3.2-5]
                    continue;
                }

                var qos = message.QoS < subscription.QoS ? message.QoS : subscription.QoS;
                session.Deliver(new OutgoingMessage(message, qos, Retain: true, subscription.SubscriptionIds));
            }
        }
    }

    private void HandleUnsubscribe(UnsubscribePacket packet)
    {
        var session = _session!;
        var codes = new List<MqttReasonCode>(packet.TopicFilters.Count);
        bool unsubscribed = false;
        foreach (var filter in packet.TopicFilters)
        {
            Subscription? removed;
            lock (session.Gate)
            {
                removed = session.RemoveSubscriptionLocked(filter);
                if (removed is not null)
                {
                    _broker.Router.Unsubscribe(removed);
                    unsubscribed = true;
                }
            }

            codes.Add(removed is null ? MqttReasonCode.NoSubscriptionExisted : MqttReasonCode.Success);
        }

        // [MQTT-3.10.4-4] UNSUBACK even when nothing was subscribed; 5.0 says 0x11 for such a filter.
        WriteAck(new UnsubAckPacket { PacketId = packet.PacketId, ReasonCodes = codes }, unsubscribed ? JournalHeader(session) : 0);
    }

    /// <summary>Journals the session's subscriptions as they are now; the position an acknowledgement waits for.</summary>
    private static long JournalHeader(Session session)
    {
        lock (session.Gate)
        {
            return session.JournalHeaderLocked();
        }
    }

    private void HandleDisconnect(DisconnectPacket packet)
    {
        // [MQTT-3.14.4-3] A normal DISCONNECT discards the will; 5.0 reason 0x04 asks for it to be published.
        _publishWill = _version == MqttProtocolVersion.V500 && packet.ReasonCode == MqttReasonCode.DisconnectWithWillMessage;
        if (_version == MqttProtocolVersion.V500 && packet.Properties?.SessionExpiryInterval is { } expiry && _session is { } session)
        {
            lock (session.Gate)
            {
                if (session.EndsWithConnection && expiry != 0)
                {
                    // [MQTT-3.14.2-2] A session expiry of 0 at CONNECT cannot be raised at DISCONNECT.
                    throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.14.2-2", "Session expiry raised from 0 at DISCONNECT.");
                }

                session.ExpiryInterval = Math.Min(expiry, _broker.Options.MaximumSessionExpirySeconds);
            }
        }

        CloseConnection(CloseReason.ClientDisconnected);
    }
}
