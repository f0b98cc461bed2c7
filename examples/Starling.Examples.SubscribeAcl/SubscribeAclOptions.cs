namespace Starling.Examples.SubscribeAcl;

/// <summary>
/// The subscription rules, bound from the configuration section "Acl": on the command line
/// <c>--Acl:DeniedFilters:0=secret/# --Acl:DeniedFilters:1=$SYS/#</c>, as environment variables
/// <c>Acl__DeniedFilters__0=secret/#</c>, or in appsettings.json <c>{ "Acl": { "DeniedFilters": [ "secret/#" ] } }</c>.
/// </summary>
public sealed class SubscribeAclOptions
{
    /// <summary>The configuration section these settings are read from.</summary>
    public const string Section = "Acl";

    /// <summary>The user who may subscribe at any QoS. Default "root".</summary>
    public string SuperUser { get; set; } = "root";

    /// <summary>The highest QoS granted to everyone else. Default 1.</summary>
    public int MaximumQoS { get; set; } = 1;

    /// <summary>
    /// Filters nobody may subscribe to (not even the super user). A requested filter is refused when it equals
    /// one of these or, read as a topic name, matches one (so "secret/#" also refuses "secret/a", "secret/+/b"
    /// and "secret/#"). A broader filter that merely overlaps, such as "#" or "+/a", is still granted.
    /// </summary>
    public List<string> DeniedFilters { get; } = [];
}
