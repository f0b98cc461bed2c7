using System.Xml.Linq;

namespace Starling.Interop.Tests.Packaging;

/// <summary>
/// The packages scripts/pack.sh made, in a folder of their own, and a nuget.config beside them: Starling.* come from
/// that folder only (never a cached or published package of the same name), everything else from the machine's own
/// sources and its global packages folder. Restores use a fresh packages folder (NUGET_PACKAGES).
/// </summary>
internal sealed class LocalFeed
{
    private LocalFeed(string root, string version)
    {
        Root = root;
        Version = version;
    }

    /// <summary>The temporary folder: packages/, nuget.config, the fresh apps, the restore's packages folder.</summary>
    public string Root { get; }

    public string Packages => Path.Combine(Root, "packages");

    /// <summary>Where restores put packages, so none comes from an earlier restore of Starling.*.</summary>
    public string RestoredPackages => Path.Combine(Root, "restored");

    /// <summary>The version the packages were given (VersionPrefix in Directory.Build.props).</summary>
    public string Version { get; }

    public static async Task<LocalFeed> PackAsync(string root)
    {
        string packages = Path.Combine(root, "packages");
        var pack = await ProcessRunner.RunAsync("bash", [Path.Combine(Repository.Root, "scripts", "pack.sh"), packages], TimeSpan.FromMinutes(4), Repository.Root);
        Assert.True(pack.ExitCode == 0, "scripts/pack.sh failed:\n" + pack.Output + pack.Error);
        var hosting = Directory.GetFiles(packages, "Starling.Hosting.*.nupkg").Single(f => !f.EndsWith(".snupkg", StringComparison.Ordinal));
        string version = Path.GetFileNameWithoutExtension(hosting)["Starling.Hosting.".Length..];
        WriteNuGetConfig(root, packages);
        return new LocalFeed(root, version);
    }

    /// <summary>The machine's own package sources (as the user's NuGet.Config names them), plus the local folder.</summary>
    private static void WriteNuGetConfig(string root, string packages)
    {
        string userConfig = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "NuGet", "NuGet.Config");
        var sources = File.Exists(userConfig)
            ? XDocument.Load(userConfig).Descendants("packageSources").Elements("add").Select(e => (Key: (string)e.Attribute("key")!, Value: (string)e.Attribute("value")!)).ToList()
            : [("nuget.org", "https://api.nuget.org/v3/index.json")];
        // The machine's global packages folder is a feed too (id/version layout): what the repository's own restore
        // already fetched need not be downloaded again.
        string global = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        if (Directory.Exists(global))
        {
            sources.Insert(0, ("machine-cache", global));
        }

        var config = new XElement("configuration",
            new XElement("packageSources", new XElement("clear"),
                new XElement("add", new XAttribute("key", "starling-local"), new XAttribute("value", packages)),
                sources.Select(s => new XElement("add", new XAttribute("key", s.Key), new XAttribute("value", s.Value)))),
            new XElement("packageSourceMapping",
                new XElement("packageSource", new XAttribute("key", "starling-local"), new XElement("package", new XAttribute("pattern", "Starling.*"))),
                sources.Select(s => new XElement("packageSource", new XAttribute("key", s.Key), new XElement("package", new XAttribute("pattern", "*"))))));
        config.Save(Path.Combine(root, "nuget.config"));
    }
}
