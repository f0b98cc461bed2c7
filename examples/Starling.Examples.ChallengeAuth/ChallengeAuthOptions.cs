namespace Starling.Examples.ChallengeAuth;

/// <summary>
/// The users allowed to connect, bound from the configuration section "ChallengeAuth": on the command line
/// <c>--ChallengeAuth:Users:alice=secret</c>, as an environment variable <c>ChallengeAuth__Users__alice=secret</c>,
/// or in appsettings.json <c>{ "ChallengeAuth": { "Users": { "alice": "secret" } } }</c>.
/// </summary>
public sealed class ChallengeAuthOptions
{
    /// <summary>The configuration section these settings are read from.</summary>
    public const string Section = "ChallengeAuth";

    /// <summary>User name to password (the HMAC key, as UTF-8). User names are case-sensitive, as in MQTT.</summary>
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);
}
