using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Starling.Broker.Hooks;
using Starling.Mqtt;

namespace Starling.Security;

/// <summary>Settings of a <see cref="PasswordFileHook"/>.</summary>
public sealed class PasswordFileHookOptions
{
    /// <summary>The password file (see <see cref="PasswordFile"/>).</summary>
    public string Path { get; set; } = "";

    /// <summary>Whether a CONNECT without a user name is accepted (it is then refused with 0x05 / 0x87 otherwise). Default false.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>
    /// How long a successful verification is remembered, so a client reconnecting with the same password skips
    /// PBKDF2 (about 100 ms of CPU at 210,000 iterations). The cache holds a keyed MAC of the password, never the
    /// password, and is cleared when the file changes. Zero disables it. Default 5 minutes.
    /// </summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Verifications that may run at once; more CONNECTs wait. Default: the number of processors.</summary>
    public int MaximumConcurrentVerifications { get; set; } = Environment.ProcessorCount;
}

/// <summary>
/// Authenticates CONNECT against a password file. An unknown user or a wrong password gets 0x04 (5.0: 0x86 Bad
/// user name or password); a CONNECT without a user name gets 0x05 (5.0: 0x87 Not authorized) unless
/// <see cref="PasswordFileHookOptions.AllowAnonymous"/>. A client whose user name was set by its listener from a TLS
/// client certificate is trusted as that user. The file is reloaded when it changes.
/// </summary>
public sealed partial class PasswordFileHook : BrokerHook, IDisposable
{
    private readonly PasswordFileHookOptions _options;
    private readonly ILogger _logger;
    private readonly ReloadingFile<PasswordFile> _file;
    private readonly ConcurrentDictionary<string, (byte[] Mac, long Expires)> _cache = new(StringComparer.Ordinal);
    private readonly byte[] _cacheKey = RandomNumberGenerator.GetBytes(32);
    private readonly SemaphoreSlim _verifications;
    private readonly Lazy<string> _dummyHash = new(() => PasswordHasher.Hash(Guid.NewGuid().ToString(), PasswordHasher.DefaultIterations));

    /// <summary>Loads the file; throws when it is missing or malformed.</summary>
    public PasswordFileHook(PasswordFileHookOptions options, ILogger<PasswordFileHook>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _file = new ReloadingFile<PasswordFile>(options.Path, PasswordFile.Load, _logger);
        _file.Reloaded += _cache.Clear;
        _verifications = new SemaphoreSlim(Math.Max(1, options.MaximumConcurrentVerifications));
    }

    /// <summary>
    /// Reads the file again now, even if its time and length did not change (the server calls it on SIGHUP). False when
    /// it no longer parses: the previous version stays in force, and the error is logged.
    /// </summary>
    public bool Reload() => _file.Reload();

    /// <summary>The password file as last loaded.</summary>
    public PasswordFile File => _file.Current;

    /// <inheritdoc />
    public override async ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? user = context.Username;
        if (user is null)
        {
            if (context.Client.Username is not null)
            {
                return MqttReasonCode.Success; // the listener took it from a verified TLS client certificate
            }

            if (_options.AllowAnonymous)
            {
                return MqttReasonCode.Success;
            }

            Refused(_logger, context.Client.ClientId, "(none)", "no user name");
            return MqttReasonCode.NotAuthorized;
        }

        if (!string.Equals(context.Client.Username, user, StringComparison.Ordinal) && context.Client.Username is not null)
        {
            return MqttReasonCode.Success; // the certificate's name replaced the CONNECT's: the certificate authenticated it
        }

        string? password = context.Password;
        var file = _file.Current;
        string? hash = file.GetHash(user);
        if (password is null || hash is null)
        {
            if (hash is null && password is not null)
            {
                // Spend the same time on an unknown user as on a known one, so timing does not reveal who exists.
                await VerifyAsync(_dummyHash.Value, password, cancellationToken).ConfigureAwait(false);
            }

            Refused(_logger, context.Client.ClientId, user, hash is null ? "unknown user" : "no password");
            return MqttReasonCode.BadUserNameOrPassword;
        }

        byte[]? mac = null;
        if (_options.CacheDuration > TimeSpan.Zero)
        {
            mac = Mac(user, password, hash);
            if (_cache.TryGetValue(user, out var cached) && Stopwatch.GetTimestamp() < cached.Expires && CryptographicOperations.FixedTimeEquals(cached.Mac, mac))
            {
                return MqttReasonCode.Success;
            }
        }

        if (!await VerifyAsync(hash, password, cancellationToken).ConfigureAwait(false))
        {
            Refused(_logger, context.Client.ClientId, user, "wrong password");
            return MqttReasonCode.BadUserNameOrPassword;
        }

        if (mac is not null)
        {
            _cache[user] = (mac, Stopwatch.GetTimestamp() + (long)(_options.CacheDuration.TotalSeconds * Stopwatch.Frequency));
        }

        return MqttReasonCode.Success;
    }

    /// <inheritdoc />
    public void Dispose() => _verifications.Dispose();

    private async ValueTask<bool> VerifyAsync(string hash, string password, CancellationToken cancellationToken)
    {
        await _verifications.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return PasswordHasher.Verify(hash, password);
        }
        finally
        {
            _verifications.Release();
        }
    }

    private byte[] Mac(string user, string password, string hash) =>
        HMACSHA256.HashData(_cacheKey, Encoding.UTF8.GetBytes($"{user}\0{password}\0{hash}"));

    [LoggerMessage(1, LogLevel.Information, "Refused CONNECT of client {ClientId}, user {Username}: {Reason}.")]
    private static partial void Refused(ILogger logger, string clientId, string username, string reason);
}
