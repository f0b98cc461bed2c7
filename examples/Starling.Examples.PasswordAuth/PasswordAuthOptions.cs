namespace Starling.Examples.PasswordAuth;

/// <summary>
/// The users allowed to connect, bound from the configuration section "Auth": on the command line
/// <c>--Auth:Users:alice=secret</c>, as an environment variable <c>Auth__Users__alice=secret</c>, or in
/// appsettings.json <c>{ "Auth": { "Users": { "alice": "secret" } } }</c>.
/// </summary>
public sealed class PasswordAuthOptions
{
    /// <summary>The configuration section these settings are read from.</summary>
    public const string Section = "Auth";

    /// <summary>User name to password. User names are case-sensitive, as in MQTT.</summary>
    public Dictionary<string, string> Users { get; } = new(StringComparer.Ordinal);
}
