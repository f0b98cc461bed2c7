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

    private async ValueTask HandleConnectAsync(ConnectPacket connect)
    {
        _version = connect.ProtocolVersion;
        var options = _broker.Options;
        string clientId = connect.ClientId;
        bool assignedClientId = false;
        if (clientId.Length == 0)
        {
            // 3.1 requires an id; 3.1.1 allows an empty one only with Clean Session = 1 [MQTT-3.1.3-7, MQTT-3.1.3-8];
            // 5.0 always allows it and returns the id assigned [MQTT-3.1.3-6].
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
            RefuseConnect(MqttReasonCode.ClientIdentifierNotValid, clientId);
            return;
        }

        _client = new MqttClientInfo(clientId, connect.Username, _version, _transport.RemoteEndPoint, _transport.ListenerName);
        var properties = connect.Properties;
        if (_version == MqttProtocolVersion.V500 && properties is not null)
        {
            if (properties.ReceiveMaximum is { } receiveMaximum)
            {
                _sendWindow = receiveMaximum; // [MQTT-3.3.4-7] never more unacknowledged QoS 1/2 than the client allows
            }

            _requestProblemInformation = properties.RequestProblemInformation != 0;
        }

        MqttProperties? responseProperties = null;
        if (_broker.Hooks.HasConnect)
        {
            var context = new ConnectContext(_client, connect);
            MqttReasonCode code;
            try
            {
                code = await _broker.Hooks.ConnectAsync(context, _broker.Stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                BrokerLog.HookFailed(_broker.Logger, ex, "OnConnect");
                code = MqttReasonCode.UnspecifiedError;
            }

            responseProperties = context.ResponseProperties;
            if (code != MqttReasonCode.Success)
            {
                RefuseConnect(code, clientId, responseProperties);
                return;
            }
        }

        if (_state != StateAwaitingConnect)
        {
            return; // closed (timeout, shutdown) while the hook ran
        }

        _keepAlive = connect.KeepAlive;
        _will = connect.Will;
        _publishWill = _will is not null;
        bool endsWithConnection = _version == MqttProtocolVersion.V500
            ? (properties?.SessionExpiryInterval ?? 0) == 0
            : connect.CleanSession;
        var connack = new ConnAckPacket { ReasonCode = MqttReasonCode.Success };
        if (_version == MqttProtocolVersion.V500)
        {
            connack.Properties = ConnAckProperties(responseProperties, assignedClientId ? clientId : null);
        }

        _session = _broker.Sessions.Attach(this, clientId, connect.CleanSession, endsWithConnection, connack, out var previous);
        previous?.TakeOver();
        BrokerLog.ClientConnected(_broker.Logger, clientId, _transport.RemoteEndPoint, (int)_version, connect.CleanSession, _keepAlive);
    }

    /// <summary>
    /// Called by the session manager with the session locked: CONNACK goes out first, then the messages the
    /// session kept, so no delivery can overtake the CONNACK.
    /// </summary>
    internal void OnAttachedLocked(Session session, bool sessionPresent, ConnAckPacket connack)
    {
        connack.SessionPresent = sessionPresent; // [MQTT-3.2.2-2, MQTT-3.2.2-3]
        lock (_sendGate)
        {
            if (_state == StateAwaitingConnect)
            {
                _state = StateConnected;
            }
        }

        WritePacket(connack);
        if (_state == StateConnected)
        {
            session.ResumeLocked(this);
        }
    }

    private void RefuseConnect(MqttReasonCode code, string clientId, MqttProperties? properties = null)
    {
        BrokerLog.ConnectRefused(_broker.Logger, clientId, code.ToString());

        // [MQTT-3.2.2-4] A refusal has Session Present = 0; then the connection is closed [MQTT-3.2.2-5].
        var connack = new ConnAckPacket { ReasonCode = code };
        if (_version == MqttProtocolVersion.V500 && _requestProblemInformation)
        {
            connack.Properties = properties;
        }

        WritePacket(connack);
        CloseConnection(CloseReason.Refused);
    }

    private MqttProperties ConnAckProperties(MqttProperties? fromHooks, string? assignedClientId)
    {
        var options = _broker.Options;
        var properties = fromHooks ?? new MqttProperties();
        properties.AssignedClientIdentifier = assignedClientId;
        properties.MaximumPacketSize = (uint)options.MaximumPacketSize;
        properties.TopicAliasMaximum = 0;
        properties.RetainAvailable = options.RetainAvailable ? null : (byte)0;
        properties.MaximumQoS = options.MaximumQoS < 2 ? (byte)options.MaximumQoS : null;
        return properties;
    }
}
