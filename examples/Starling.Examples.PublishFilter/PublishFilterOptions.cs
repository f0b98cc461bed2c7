namespace Starling.Examples.PublishFilter;

/// <summary>
/// Bound from the configuration section "PublishFilter": on the command line
/// <c>--PublishFilter:SubscribeOnlyUsers:0=viewer</c>, or in appsettings.json
/// <c>{ "PublishFilter": { "SubscribeOnlyUsers": [ "viewer" ] } }</c>.
/// </summary>
public sealed class PublishFilterOptions
{
    /// <summary>The configuration section these settings are read from.</summary>
    public const string Section = "PublishFilter";

    /// <summary>Users who may only subscribe: the first PUBLISH from one of them closes its connection.</summary>
    public List<string> SubscribeOnlyUsers { get; } = [];
}
