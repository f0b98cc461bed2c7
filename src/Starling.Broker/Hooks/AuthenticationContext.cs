using Starling.Mqtt.Packets;

namespace Starling.Broker.Hooks;

/// <summary>One step of a 5.0 enhanced authentication exchange (section 4.12): CONNECT, or an AUTH that follows.</summary>
public sealed class AuthenticationContext
{
    internal AuthenticationContext(MqttClientInfo client, string method, ConnectPacket? connect, bool isReauthentication)
    {
        Client = client;
        Method = method;
        Connect = connect;
        IsReauthentication = isReauthentication;
    }

    /// <summary>The client.</summary>
    public MqttClientInfo Client { get; }

    /// <summary>The Authentication Method the client named.</summary>
    public string Method { get; }

    /// <summary>The CONNECT being authenticated; null for a re-authentication.</summary>
    public ConnectPacket? Connect { get; }

    /// <summary>Whether the client asked to re-authenticate an established connection (AUTH 0x19).</summary>
    public bool IsReauthentication { get; }

    /// <summary>0 for the exchange's first packet, then 1, 2, ... for each AUTH the client sends.</summary>
    public int Step { get; internal set; }

    /// <summary>The Authentication Data the client sent in this step.</summary>
    public ReadOnlyMemory<byte>? Data { get; internal set; }

    /// <summary>Free state for the hook across the steps of one exchange (a nonce, a SCRAM state).</summary>
    public object? State { get; set; }

    internal BrokerHook? Handler { get; set; }
}

/// <summary>What a hook answers to one step of enhanced authentication.</summary>
public readonly record struct AuthenticationResult
{
    private AuthenticationResult(AuthenticationOutcome outcome, ReadOnlyMemory<byte>? data, Mqtt.MqttReasonCode reasonCode, string? reasonString)
    {
        Outcome = outcome;
        Data = data;
        ReasonCode = reasonCode;
        ReasonString = reasonString;
    }

    /// <summary>What happens next.</summary>
    public AuthenticationOutcome Outcome { get; }

    /// <summary>Authentication Data to send to the client (a challenge, or the server's final proof).</summary>
    public ReadOnlyMemory<byte>? Data { get; }

    /// <summary>The failure code, for <see cref="AuthenticationOutcome.Fail"/>.</summary>
    public Mqtt.MqttReasonCode ReasonCode { get; }

    /// <summary>A reason string for a failure (sent when the client allows problem information).</summary>
    public string? ReasonString { get; }

    /// <summary>This hook does not know the method; the next hook is asked.</summary>
    public static AuthenticationResult NotHandled => default;

    /// <summary>Send AUTH 0x18 with <paramref name="data"/> and wait for the client's next AUTH.</summary>
    public static AuthenticationResult Continue(ReadOnlyMemory<byte> data) => new(AuthenticationOutcome.Continue, data, Mqtt.MqttReasonCode.ContinueAuthentication, null);

    /// <summary>Authenticated: CONNACK 0x00 (or AUTH 0x00 after a re-authentication), with optional final data.</summary>
    public static AuthenticationResult Success(ReadOnlyMemory<byte>? data = null) => new(AuthenticationOutcome.Success, data, Mqtt.MqttReasonCode.Success, null);

    /// <summary>Refused: CONNACK (or, on re-authentication, DISCONNECT) with <paramref name="reasonCode"/>, then close.</summary>
    public static AuthenticationResult Fail(Mqtt.MqttReasonCode reasonCode = Mqtt.MqttReasonCode.NotAuthorized, string? reasonString = null) => new(AuthenticationOutcome.Fail, null, reasonCode, reasonString);
}

/// <summary>The kinds of <see cref="AuthenticationResult"/>.</summary>
public enum AuthenticationOutcome
{
    /// <summary>The hook does not handle this method.</summary>
    NotHandled,

    /// <summary>Another round trip is needed.</summary>
    Continue,

    /// <summary>Authenticated.</summary>
    Success,

    /// <summary>Refused.</summary>
    Fail,
}
