using Starling.Broker.Diagnostics;
using Starling.Broker.Hooks;
using Starling.Broker.Sessions;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>CONNECT: identify, authenticate, take up the session, answer CONNACK.</summary>
public sealed partial class MqttConnection
{
    private bool _requestProblemInformation = true;
    private uint _clientMaximumPacketSize = uint.MaxValue;
    private ushort _clientTopicAliasMaximum;

    private async ValueTask HandleConnectAsync(ConnectPacket connect)
    {
        _version = connect.ProtocolVersion;
        if (connect.Will is { } willToCheck && !MqttTopic.IsValidTopicName(willToCheck.Topic))
        {
            // The will is published under its topic: an empty one or one with a wildcard is refused now (5.0: CONNACK
            // 0x90), not when the connection ends, where the retained store would throw [MQTT-3.3.2-2, MQTT-4.7.3-1].
            throw new MqttProtocolException(MqttReasonCode.TopicNameInvalid, "MQTT-3.3.2-2", "The Will Topic is empty or holds a wildcard character.");
        }

        var options = _broker.Options;
        string clientId = connect.ClientId;
        bool assignedClientId = false;
        if (clientId.Length == 0)
        {
            // 3.1 requires an id; 3.1.1 allows an empty one only with Clean Session = 1 [MQTT-3.1.3-7, MQTT-3.1.3-8];
            // 5.0 always allows it and returns the id assigned [MQTT-3.1.3-6, MQTT-3.2.2-16].
            bool allowed = options.AllowEmptyClientId && (_version == MqttProtocolVersion.V500 || (_version == MqttProtocolVersion.V311 && connect.CleanSession));
            if (!allowed)
            {
                RefuseConnect(MqttReasonCode.ClientIdentifierNotValid, clientId);
                return;
            }

            clientId = "starling-" + Guid.NewGuid().ToString("N");
            assignedClientId = true;
        }
        else if (clientId.Length > options.MaximumClientIdLength)
        {
            _broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumClientIdLength));
            RefuseConnect(MqttReasonCode.ClientIdentifierNotValid, clientId);
            return;
        }

        _client = new MqttClientInfo(clientId, connect.Username, _version, _transport);
        _client.Username = _transport.CertificateUsername ?? _client.Username;
        var properties = _version == MqttProtocolVersion.V500 ? connect.Properties : null;
        if (properties is not null)
        {
            if (properties.AuthenticationData is not null && properties.AuthenticationMethod is null)
            {
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "authentication-data-without-method", "Authentication Data without an Authentication Method.");
            }

            ApplyClientLimits(properties);
        }

        if (_version == MqttProtocolVersion.V500 && connect.Will is { } will)
        {
            // A will the broker could not honour is refused at CONNECT: retained when retain is unavailable
            // [MQTT-3.2.2-13], or above the Maximum QoS [MQTT-3.2.2-12].
            if (will.Retain && !options.RetainAvailable)
            {
                RefuseConnect(MqttReasonCode.RetainNotSupported, clientId);
                return;
            }

            if ((int)will.QoS > options.MaximumQoS)
            {
                RefuseConnect(MqttReasonCode.QoSNotSupported, clientId);
                return;
            }
        }

        if (!options.AllowAnonymous && _client.Username is null && properties?.AuthenticationMethod is null)
        {
            // Anonymous access is off: a client must name a user (or authenticate with AUTH, or a certificate).
            _broker.Metrics.LimitHit(nameof(BrokerOptions.AllowAnonymous));
            RefuseConnect(MqttReasonCode.NotAuthorized, clientId);
            return;
        }

        if (options.MaximumPublishRate > 0 || options.MaximumPublishBytesRate > 0)
        {
            _publishRate = new PublishRateLimiter(options.MaximumPublishRate, options.MaximumPublishBytesRate);
        }

        if (properties?.AuthenticationMethod is not null)
        {
            // 5.0 enhanced authentication: the AUTH exchange decides, then continues the CONNECT.
            await BeginAuthenticationAsync(connect, clientId, assignedClientId).ConfigureAwait(false);
            return;
        }

        var (accepted, responseProperties) = await AuthorizeConnectAsync(connect, clientId).ConfigureAwait(false);
        if (accepted)
        {
            await CompleteConnectAsync(connect, clientId, assignedClientId, responseProperties).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Runs the OnConnect hooks, which authorise every CONNECT, also one that enhanced authentication accepted. When a
    /// hook refuses, answers the refusal (with the hooks' CONNACK properties) and returns false; otherwise returns the
    /// properties the hooks want on the CONNACK.
    /// </summary>
    private async ValueTask<(bool Accepted, MqttProperties? ResponseProperties)> AuthorizeConnectAsync(ConnectPacket connect, string clientId)
    {
        if (!_broker.Hooks.HasConnect)
        {
            return (true, null);
        }

        var context = new ConnectContext(_client!, connect);
        var code = await _broker.Hooks.ConnectAsync(context, _broker.Stopping.Token).ConfigureAwait(false);
        if (code != MqttReasonCode.Success)
        {
            RefuseConnect(code, clientId, context.ResponseProperties);
            return (false, null);
        }

        return (true, context.ResponseProperties);
    }

    /// <summary>In a cluster, first makes this broker the session's owner, bringing the session here from another broker.</summary>
    private ValueTask CompleteConnectAsync(ConnectPacket connect, string clientId, bool assignedClientId, MqttProperties? responseProperties)
    {
        if (_broker.RemoteSessions is { } sessions && _state == StateAwaitingConnect)
        {
            return ClaimThenCompleteAsync(sessions, connect, clientId, assignedClientId, responseProperties);
        }

        CompleteConnect(connect, clientId, assignedClientId, responseProperties);
        return ValueTask.CompletedTask;
    }

    private async ValueTask ClaimThenCompleteAsync(IRemoteSessions sessions, ConnectPacket connect, string clientId, bool assignedClientId, MqttProperties? responseProperties)
    {
        await sessions.ClaimAsync(clientId, connect.CleanSession, _broker.Stopping.Token).ConfigureAwait(false);
        CompleteConnect(connect, clientId, assignedClientId, responseProperties);
    }

    /// <summary>Accepts the CONNECT: takes up the session and answers CONNACK with what the broker allows.</summary>
    private void CompleteConnect(ConnectPacket connect, string clientId, bool assignedClientId, MqttProperties? responseProperties)
    {
        if (_state != StateAwaitingConnect)
        {
            return; // closed (timeout, shutdown) while a hook ran
        }

        var options = _broker.Options;
        ushort keepAlive = connect.KeepAlive;
        _will = connect.Will;
        _publishWill = _will is not null;
        var connack = new ConnAckPacket { ReasonCode = MqttReasonCode.Success };
        uint expiry;
        if (_version == MqttProtocolVersion.V500)
        {
            var properties = responseProperties ?? new MqttProperties();
            if (options.MaximumKeepAliveSeconds > 0 && (keepAlive == 0 || keepAlive > options.MaximumKeepAliveSeconds))
            {
                // [MQTT-3.2.2-21] The client must use the Server Keep Alive we return.
                keepAlive = (ushort)options.MaximumKeepAliveSeconds;
                properties.ServerKeepAlive = keepAlive;
            }

            uint requested = connect.Properties?.SessionExpiryInterval ?? 0;
            expiry = Math.Min(requested, options.MaximumSessionExpirySeconds);
            if (expiry != requested)
            {
                properties.SessionExpiryInterval = expiry; // tell the client the interval it got (5.0 section 3.2.2.3.2)
            }

            connack.Properties = ConnAckProperties(properties, assignedClientId ? clientId : null, connect.Properties?.RequestResponseInformation == 1 ? clientId : null);
        }
        else
        {
            uint persistent = options.PersistentSessionExpirySeconds == 0 ? uint.MaxValue : options.PersistentSessionExpirySeconds;
            expiry = connect.CleanSession ? 0 : persistent;
        }

        RecordConnected(keepAlive);
        _timeouts.SetKeepAlive(keepAlive); // before the state turns Connected in OnAttachedLocked, where the sweep starts checking it
        _session = _broker.Sessions.Attach(this, clientId, connect.CleanSession, expiry, connack, out var previous);
        previous?.TakeOver();
        if (_broker.Logger.IsEnabled(Microsoft.Extensions.Logging.LogLevel.Debug))
        {
            // The address is only built when it is logged (the epoll transport makes it on demand).
            BrokerLog.ClientConnected(_broker.Logger, clientId, _transport.RemoteEndPoint, (int)_version, connect.CleanSession, keepAlive);
        }
    }

    /// <summary>
    /// Called by the session manager with the session locked: CONNACK goes out first, then the messages the
    /// session kept, so no delivery can overtake the CONNACK.
    /// </summary>
    internal void OnAttachedLocked(Session session, bool sessionPresent, ConnAckPacket connack)
    {
        connack.SessionPresent = sessionPresent; // [MQTT-3.2.2-2, MQTT-3.2.2-3]
        session.Username = _client?.Username;
        if (Interlocked.CompareExchange(ref _state, StateConnected, StateAwaitingConnect) == StateAwaitingConnect)
        {
            _output.AcceptPublishes(PublishShaper.For(_version, _clientMaximumPacketSize, _clientTopicAliasMaximum, _broker.Options.OutboundTopicAliasMaximum));
        }

        WritePacket(connack);
        if (_state == StateConnected)
        {
            session.ResumeLocked(this);
        }
    }

    /// <summary>What a 5.0 client's CONNECT says it can take: in-flight window, packet size, topic aliases.</summary>
    private void ApplyClientLimits(MqttProperties properties)
    {
        if (properties.ReceiveMaximum is { } receiveMaximum)
        {
            _sendWindow = receiveMaximum; // [MQTT-3.3.4-7] never more unacknowledged QoS 1/2 than the client allows
        }

        if (properties.MaximumPacketSize is { } maximumPacketSize)
        {
            _clientMaximumPacketSize = maximumPacketSize; // [MQTT-3.1.2-24] never send a larger packet
        }

        _clientTopicAliasMaximum = properties.TopicAliasMaximum ?? 0; // [MQTT-3.1.2-26] no alias above it, none if absent
        _requestProblemInformation = properties.RequestProblemInformation != 0;
    }

    private void RefuseConnect(MqttReasonCode code, string clientId, MqttProperties? properties = null)
    {
        BrokerLog.ConnectRefused(_broker.Logger, clientId, code.ToString());
        _broker.Metrics.ConnectionRefused(code.ToString());

        // [MQTT-3.2.2-4] A refusal has Session Present = 0; then the connection is closed [MQTT-3.2.2-5].
        var connack = new ConnAckPacket { ReasonCode = code };
        if (_version == MqttProtocolVersion.V500)
        {
            connack.Properties = properties;
        }

        WritePacket(connack);
        CloseConnection(CloseReason.Refused);
    }

    /// <summary>The CONNACK properties of 5.0: what the broker supports and allows, stated plainly.</summary>
    private MqttProperties ConnAckProperties(MqttProperties properties, string? assignedClientId, string? responseInformationFor)
    {
        var options = _broker.Options;
        properties.AssignedClientIdentifier = assignedClientId;
        properties.ReceiveMaximum = (ushort)options.ReceiveMaximum;
        properties.MaximumPacketSize = (uint)options.MaximumPacketSize;
        properties.TopicAliasMaximum = (ushort)options.TopicAliasMaximum;
        properties.RetainAvailable = options.RetainAvailable ? (byte)1 : (byte)0;
        properties.MaximumQoS = options.MaximumQoS < 2 ? (byte)options.MaximumQoS : null; // absent means 2 [MQTT-3.2.2-9]
        properties.WildcardSubscriptionAvailable = options.WildcardSubscriptionAvailable ? (byte)1 : (byte)0;
        properties.SubscriptionIdentifierAvailable = options.SubscriptionIdentifiersAvailable ? (byte)1 : (byte)0;
        properties.SharedSubscriptionAvailable = options.SharedSubscriptionsAvailable ? (byte)1 : (byte)0;
        if (responseInformationFor is not null && options.ResponseInformation.Length > 0)
        {
            // Only when the client asked for it with Request Response Information = 1 [MQTT-3.1.2-28].
            properties.ResponseInformation = options.ResponseInformation.Replace("{clientId}", responseInformationFor, StringComparison.Ordinal);
        }

        return properties;
    }
}
