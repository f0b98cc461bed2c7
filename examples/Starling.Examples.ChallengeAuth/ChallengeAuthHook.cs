using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker.Hooks;
using Starling.Mqtt;

namespace Starling.Examples.ChallengeAuth;

/// <summary>
/// MQTT 5.0 enhanced authentication (section 4.12) with a challenge-response method, "STARLING-HMAC-SHA256":
/// <list type="number">
/// <item>CONNECT (or AUTH 0x19 to re-authenticate) carries Authentication Data = the user name, UTF-8.</item>
/// <item>The broker answers AUTH 0x18 with a random 32-byte nonce.</item>
/// <item>The client answers AUTH 0x18 with HMAC-SHA256(key = password, message = nonce).</item>
/// <item>The broker checks it in constant time and answers CONNACK 0x00 (AUTH 0x00 after a re-authentication)
/// with HMAC-SHA256(key = password, message = nonce || "server"), which lets the client check the broker.</item>
/// </list>
/// An unknown user is refused with 0x86 (Bad user name or password), a wrong proof with 0x87 (Not authorized).
/// The password itself never crosses the network.
/// </summary>
/// <remarks>
/// Clients that connect without an Authentication Method are refused in <see cref="OnConnectAsync"/>, so this hook
/// alone is a complete authentication policy. Passwords are kept in plain text in configuration to keep the example
/// short; the HMAC needs the password (or a key derived from it) on the broker's side.
/// </remarks>
public sealed partial class ChallengeAuthHook : BrokerHook
{
    /// <summary>The Authentication Method this hook handles.</summary>
    public const string Method = "STARLING-HMAC-SHA256";

    /// <summary>The length of the broker's challenge, in bytes.</summary>
    public const int NonceLength = 32;

    /// <summary>The key in <see cref="MqttClientInfo.Items"/> holding the user this hook authenticated.</summary>
    public const string AuthenticatedUserItem = "ChallengeAuth.User";

    private static readonly byte[] ServerSuffix = "server"u8.ToArray();
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Dictionary<string, byte[]> _keys;
    private readonly ILogger _logger;

    /// <summary>Created by the host (AddStarlingHook&lt;ChallengeAuthHook&gt;) or directly in tests.</summary>
    public ChallengeAuthHook(IOptions<ChallengeAuthOptions> options, ILogger<ChallengeAuthHook> logger)
    {
        _keys = options.Value.Users.ToDictionary(user => user.Key, user => Encoding.UTF8.GetBytes(user.Value), StringComparer.Ordinal);
        _logger = logger;
    }

    /// <summary>The client's answer to the challenge: HMAC-SHA256(key = password, message = nonce).</summary>
    public static byte[] ComputeClientProof(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce) => HMACSHA256.HashData(password, nonce);

    /// <summary>The broker's proof in the final packet: HMAC-SHA256(key = password, message = nonce || "server").</summary>
    public static byte[] ComputeServerProof(ReadOnlySpan<byte> password, ReadOnlySpan<byte> nonce)
    {
        var message = new byte[nonce.Length + ServerSuffix.Length];
        nonce.CopyTo(message);
        ServerSuffix.CopyTo(message.AsSpan(nonce.Length));
        return HMACSHA256.HashData(password, message);
    }

    /// <inheritdoc />
    public override ValueTask<AuthenticationResult> OnAuthenticateAsync(AuthenticationContext context, CancellationToken cancellationToken)
    {
        if (!string.Equals(context.Method, Method, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(AuthenticationResult.NotHandled); // another hook's method, or CONNACK/DISCONNECT 0x8C
        }

        var result = context.Step == 0 ? Challenge(context) : Verify(context);
        return ValueTask.FromResult(result);
    }

    /// <summary>
    /// Called for every CONNECT, including one this hook has just authenticated: lets through only the clients
    /// authenticated with <see cref="Method"/>.
    /// </summary>
    public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        if (context.Client.Items.ContainsKey(AuthenticatedUserItem))
        {
            return ValueTask.FromResult(MqttReasonCode.Success);
        }

        Refused(_logger, context.Client.ClientId, "no enhanced authentication", context.Client.RemoteEndPoint);
        if (context.Client.ProtocolVersion == MqttProtocolVersion.V500)
        {
            context.ResponseProperties = new MqttProperties { ReasonString = $"Authentication Method {Method} required" };
        }

        return ValueTask.FromResult(MqttReasonCode.NotAuthorized);
    }

    /// <summary>Step 0: the data is the user name; answer with a fresh nonce.</summary>
    private AuthenticationResult Challenge(AuthenticationContext context)
    {
        string? user = DecodeUser(context.Data);
        if (user is null || !_keys.ContainsKey(user))
        {
            Refused(_logger, context.Client.ClientId, "unknown user", context.Client.RemoteEndPoint);
            return AuthenticationResult.Fail(MqttReasonCode.BadUserNameOrPassword, "unknown user");
        }

        if (context.IsReauthentication
            && !(context.Client.Items.TryGetValue(AuthenticatedUserItem, out var current) && string.Equals(current as string, user, StringComparison.Ordinal)))
        {
            // A connection keeps its identity: re-authentication may renew the proof, not switch to another user.
            Refused(_logger, context.Client.ClientId, "re-authentication as another user", context.Client.RemoteEndPoint);
            return AuthenticationResult.Fail(MqttReasonCode.NotAuthorized, "user mismatch");
        }

        var nonce = RandomNumberGenerator.GetBytes(NonceLength);
        context.State = new Exchange(user, nonce);
        return AuthenticationResult.Continue(nonce);
    }

    /// <summary>Step 1: the data is the client's proof; check it and answer with the broker's proof.</summary>
    private AuthenticationResult Verify(AuthenticationContext context)
    {
        if (context.Step != 1 || context.State is not Exchange exchange)
        {
            return AuthenticationResult.Fail(MqttReasonCode.NotAuthorized, "unexpected step");
        }

        var key = _keys[exchange.User];
        var expected = ComputeClientProof(key, exchange.Nonce);
        var presented = (context.Data ?? ReadOnlyMemory<byte>.Empty).Span;

        // FixedTimeEquals returns false at once for a different length (which is public: always 32 bytes), and
        // otherwise takes the same time wherever the first differing byte is.
        if (!CryptographicOperations.FixedTimeEquals(presented, expected))
        {
            Refused(_logger, context.Client.ClientId, "bad proof for user '" + exchange.User + "'", context.Client.RemoteEndPoint);
            return AuthenticationResult.Fail(MqttReasonCode.NotAuthorized, "bad proof");
        }

        context.Client.Items[AuthenticatedUserItem] = exchange.User;
        context.Client.Username = exchange.User; // what later hooks (an ACL) see as the user name
        return AuthenticationResult.Success(ComputeServerProof(key, exchange.Nonce));
    }

    private static string? DecodeUser(ReadOnlyMemory<byte>? data)
    {
        if (data is not { Length: > 0 } bytes)
        {
            return null;
        }

        try
        {
            return StrictUtf8.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>What the hook keeps in <see cref="AuthenticationContext.State"/> between the challenge and the answer.</summary>
    private sealed record Exchange(string User, byte[] Nonce);

    [LoggerMessage(1, LogLevel.Warning, "Refused client {ClientId}: {Reason} (from {RemoteEndPoint}).")]
    private static partial void Refused(ILogger logger, string clientId, string reason, System.Net.EndPoint? remoteEndPoint);
}
