using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Starling.Broker;
using Starling.Hosting;

namespace Starling.Interop.Tests;

/// <summary>docs/configuration.md stays true: its example parses, and every key it lists exists with the default it states.</summary>
public sealed partial class ConfigurationDocTests
{
    private static readonly string DocPath = Path.Combine(FindRepositoryRoot(), "docs", "configuration.md");

    [Fact]
    public void ExampleFile_BindsToTheOptions_WithTheDocumentedValues()
    {
        string doc = File.ReadAllText(DocPath);
        var json = JsonBlock().Match(doc);
        Assert.True(json.Success, "no json example in docs/configuration.md");
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.Groups[1].Value))).Build();
        var section = configuration.GetSection(StarlingServerOptions.Section);

        var broker = section.Get<BrokerOptions>(o => o.ErrorOnUnknownConfiguration = false)!;
        var server = section.Get<StarlingServerOptions>()!;
        broker.Validate();
        server.Validate();
        Assert.Equal(new BrokerOptions().MaximumPacketSize, broker.MaximumPacketSize);
        Assert.Equal(1883, server.Port);
    }

    [Fact]
    public void EveryDocumentedKey_Exists_WithTheStatedDefault()
    {
        string doc = File.ReadAllText(DocPath);
        var defaults = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in typeof(BrokerOptions).GetProperties())
        {
            defaults[property.Name] = property.GetValue(new BrokerOptions());
        }

        foreach (var property in typeof(StarlingServerOptions).GetProperties())
        {
            defaults[property.Name] = property.GetValue(new StarlingServerOptions());
        }

        var rows = TableRow().Matches(doc);
        Assert.NotEmpty(rows);
        foreach (Match row in rows)
        {
            string key = row.Groups[1].Value;
            Assert.True(defaults.ContainsKey(key), $"documented key {key} does not exist");
            Assert.Equal(Convert.ToString(defaults[key], System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant(), row.Groups[2].Value.ToLowerInvariant());
        }

        foreach (var key in defaults.Keys)
        {
            Assert.Contains($"| `{key}` |", doc, StringComparison.Ordinal);
        }
    }

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Starling.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"^\| `(\w+)` \| `([^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
