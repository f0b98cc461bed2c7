using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker.Hooks;
using Starling.Mqtt;

namespace Starling.Examples.PasswordAuth;

/// <summary>
/// Authenticates every CONNECT against a fixed list of users and passwords. A missing or wrong user name or
/// password is refused with <see cref="MqttReasonCode.BadUserNameOrPassword"/>: MQTT 5.0 clients receive
/// CONNACK reason 0x86, MQTT 3.1/3.1.1 clients the return code 4 the broker maps it to.
/// </summary>
/// <remarks>
/// The passwords are kept in plain text to keep the example short; a real deployment would store salted
/// hashes (Rfc2898DeriveBytes.Pbkdf2) and compare those the same way.
/// </remarks>
public sealed partial class PasswordAuthHook : BrokerHook
{
    // SHA-256 of each user's password: comparing two fixed-length digests takes the same time whatever the
    // password's length, and FixedTimeEquals takes the same time wherever the first differing byte is.
    private readonly Dictionary<string, byte[]> _passwordHashes;
    private readonly ILogger _logger;

    private static readonly byte[] UnknownUserHash = new byte[SHA256.HashSizeInBytes];

    /// <summary>Created by the host (AddStarlingHook&lt;PasswordAuthHook&gt;) or directly in tests.</summary>
    public PasswordAuthHook(IOptions<PasswordAuthOptions> options, ILogger<PasswordAuthHook> logger)
    {
        _passwordHashes = options.Value.Users.ToDictionary(
            user => user.Key,
            user => SHA256.HashData(Encoding.UTF8.GetBytes(user.Value)),
            StringComparer.Ordinal);
        _logger = logger;
    }

    /// <inheritdoc />
    public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        // Use the password bytes as sent: MQTT passwords are binary data, not necessarily UTF-8.
        var password = context.Packet.Password ?? ReadOnlyMemory<byte>.Empty;
        var presented = SHA256.HashData(password.Span);

        // An unknown user is compared against a dummy digest, so it takes as long as a known one.
        byte[]? expected = null;
        if (context.Username is { } username)
        {
            _passwordHashes.TryGetValue(username, out expected);
        }

        bool passwordMatches = CryptographicOperations.FixedTimeEquals(presented, expected ?? UnknownUserHash);
        if (expected is not null && context.Packet.Password is not null && passwordMatches)
        {
            return ValueTask.FromResult(MqttReasonCode.Success);
        }

        Refused(_logger, context.Client.ClientId, context.Username, context.Client.RemoteEndPoint);
        if (context.Client.ProtocolVersion == MqttProtocolVersion.V500)
        {
            // 5.0 clients may also get a human-readable reason (sent only if the client asked for problem information).
            context.ResponseProperties = new MqttProperties { ReasonString = "Bad user name or password" };
        }

        return ValueTask.FromResult(MqttReasonCode.BadUserNameOrPassword);
    }

    [LoggerMessage(1, LogLevel.Warning, "Refused client {ClientId}: bad user name or password (user '{Username}', from {RemoteEndPoint}).")]
    private static partial void Refused(ILogger logger, string clientId, string? username, System.Net.EndPoint? remoteEndPoint);
}
