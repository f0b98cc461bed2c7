using Starling.Broker.Hooks;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>
/// 5.0 enhanced authentication (section 4.12): the CONNECT names a method, AUTH packets carry the challenge
/// and responses, and CONNACK (or, for re-authentication, AUTH 0x00) ends the exchange. The hooks'
/// <see cref="BrokerHook.OnAuthenticateAsync"/> decides each step.
/// </summary>
public sealed partial class MqttConnection
{
    private AuthenticationContext? _authentication;
    private (ConnectPacket Connect, string ClientId, bool Assigned)? _pendingConnect;
    private string? _authenticationMethod;

    private async ValueTask BeginAuthenticationAsync(ConnectPacket connect, string clientId, bool assignedClientId)
    {
        _authenticationMethod = connect.Properties!.AuthenticationMethod!;
        _pendingConnect = (connect, clientId, assignedClientId);
        _authentication = new AuthenticationContext(_client!, _authenticationMethod, connect, isReauthentication: false)
        {
            Data = connect.Properties.AuthenticationData,
        };
        await RunAuthenticationStepAsync().ConfigureAwait(false);
    }

    private ValueTask HandleAuthAsync(AuthPacket packet)
    {
        var method = packet.Properties?.AuthenticationMethod;
        if (_authenticationMethod is null || !string.Equals(method, _authenticationMethod, StringComparison.Ordinal))
        {
            // AUTH without enhanced authentication at CONNECT, or naming another method.
            throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.15.2-1", "AUTH does not match the connection's authentication method.");
        }

        if (_authentication is { } exchange && packet.ReasonCode == MqttReasonCode.ContinueAuthentication)
        {
            exchange.Step++;
            exchange.Data = packet.Properties!.AuthenticationData;
            return RunAuthenticationStepAsync();
        }

        if (_authentication is null && _state == StateConnected && packet.ReasonCode == MqttReasonCode.ReAuthenticate)
        {
            _authentication = new AuthenticationContext(_client!, _authenticationMethod, connect: null, isReauthentication: true)
            {
                Data = packet.Properties!.AuthenticationData,
            };
            return RunAuthenticationStepAsync();
        }

        throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.12.0-1", $"Unexpected AUTH {packet.ReasonCode}.");
    }

    private async ValueTask RunAuthenticationStepAsync()
    {
        var exchange = _authentication!;
        var result = await _broker.Hooks.AuthenticateAsync(exchange, _broker.Stopping.Token).ConfigureAwait(false);

        switch (result.Outcome)
        {
            case AuthenticationOutcome.Continue:
                WritePacket(new AuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, Properties = AuthProperties(result.Data) });
                return;
            case AuthenticationOutcome.Success:
                _authentication = null;
                if (exchange.IsReauthentication)
                {
                    WritePacket(new AuthPacket { ReasonCode = MqttReasonCode.Success, Properties = AuthProperties(result.Data) });
                }
                else
                {
                    await FinishAuthenticatedConnectAsync(result.Data).ConfigureAwait(false);
                }

                return;
            default:
                _authentication = null;
                var code = result.Outcome == AuthenticationOutcome.NotHandled ? MqttReasonCode.BadAuthenticationMethod : result.ReasonCode;
                var problem = _requestProblemInformation && result.ReasonString is not null ? new MqttProperties { ReasonString = result.ReasonString } : null;
                if (exchange.IsReauthentication)
                {
                    // [MQTT-4.12.1-2] A failed re-authentication ends the connection with DISCONNECT, whose reason code
                    // table lacks the CONNACK-only refusals (0x86, 0x8C): those become Not Authorized.
                    var disconnectCode = code.IsAllowedIn(MqttPacketType.Disconnect) ? code : MqttReasonCode.NotAuthorized;
                    WritePacket(new DisconnectPacket { ReasonCode = disconnectCode, Properties = problem });
                    CloseConnection(CloseReason.Refused);
                }
                else
                {
                    RefuseConnect(code, _client!.ClientId, problem);
                }

                return;
        }
    }

    /// <summary>Enhanced authentication succeeded: the OnConnect hooks still authorise, then CONNACK carries the method.</summary>
    private async ValueTask FinishAuthenticatedConnectAsync(ReadOnlyMemory<byte>? finalData)
    {
        var (connect, clientId, assigned) = _pendingConnect!.Value;
        _pendingConnect = null;
        var (accepted, response) = await AuthorizeConnectAsync(connect, clientId).ConfigureAwait(false);
        if (!accepted)
        {
            return;
        }

        response ??= new MqttProperties();
        response.AuthenticationMethod = _authenticationMethod;
        response.AuthenticationData = finalData;
        await CompleteConnectAsync(connect, clientId, assigned, response).ConfigureAwait(false);
    }

    private MqttProperties AuthProperties(ReadOnlyMemory<byte>? data) => new() { AuthenticationMethod = _authenticationMethod, AuthenticationData = data };
}
