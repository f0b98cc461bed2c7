namespace Starling.Examples.AcceptFilter;

/// <summary>
/// Bound from the configuration section "AcceptFilter": on the command line
/// <c>--AcceptFilter:Blocked:0=10.0.0.0/8 --AcceptFilter:Blocked:1=192.0.2.7</c>, or in appsettings.json
/// <c>{ "AcceptFilter": { "Blocked": [ "10.0.0.0/8", "192.0.2.7", "2001:db8::/32" ] } }</c>.
/// </summary>
public sealed class AcceptFilterOptions
{
    /// <summary>The configuration section these settings are read from.</summary>
    public const string Section = "AcceptFilter";

    /// <summary>Blocked IPv4 or IPv6 addresses ("127.0.0.2") and CIDR ranges ("10.0.0.0/8").</summary>
    public List<string> Blocked { get; } = [];
}
