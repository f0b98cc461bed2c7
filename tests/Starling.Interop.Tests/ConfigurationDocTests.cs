using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Starling.Broker;
using Starling.Hosting;

namespace Starling.Interop.Tests;

/// <summary>docs/configuration.md stays true: its example parses, and every key it lists exists with the default it states.</summary>
public sealed partial class ConfigurationDocTests
{
    private static readonly string DocPath = Path.Combine(Repository.Root, "docs", "configuration.md");

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
        string doc = Section(File.ReadAllText(DocPath), "## The `Starling` section");
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

    [Fact]
    public void EveryListenerKey_Exists_WithTheStatedDefault()
    {
        string doc = Section(File.ReadAllText(DocPath), "## Listeners");
        var types = Table(doc, "| type |").Select(r => r.Key).ToArray();
        Assert.Equal(ListenerOptions.Types, types);

        var defaults = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var property in typeof(ListenerOptions).GetProperties().Where(p => p.CanWrite))
        {
            if (property.PropertyType == typeof(CertificateOptions))
            {
                foreach (var nested in typeof(CertificateOptions).GetProperties())
                {
                    defaults[$"{property.Name}:{nested.Name}"] = nested.GetValue(new CertificateOptions());
                }
            }
            else
            {
                defaults[property.Name] = property.GetValue(new ListenerOptions());
            }
        }

        var rows = Table(doc, "| key |");
        Assert.Equal(defaults.Keys.Order(), rows.Select(r => r.Key).Order());
        foreach (var (key, stated) in rows)
        {
            if (defaults[key] is { } value)
            {
                Assert.Equal($"`{Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant()}`", stated.ToLowerInvariant());
            }
            else
            {
                Assert.True(stated == "none" || stated.Contains("Starling:", StringComparison.Ordinal) || stated.Contains("Starling:Port", StringComparison.Ordinal), $"{key}: {stated}");
            }
        }
    }

    [Fact]
    public void EveryBridgeKey_Exists_WithTheStatedDefault()
    {
        var rows = Table(Section(File.ReadAllText(DocPath), "## Bridges"), "| key |");
        var defaults = new Dictionary<string, object?>(StringComparer.Ordinal);
        void Add(object options, string prefix)
        {
            foreach (var property in options.GetType().GetProperties().Where(p => p.CanWrite))
            {
                if (property.PropertyType == typeof(Bridge.BridgeTlsOptions))
                {
                    Add(new Bridge.BridgeTlsOptions(), "Tls:");
                }
                else if (property.PropertyType == typeof(List<Bridge.BridgeTopicOptions>))
                {
                    Add(new Bridge.BridgeTopicOptions(), "Topics:");
                }
                else
                {
                    defaults[prefix + property.Name] = property.GetValue(options) is Mqtt.MqttQualityOfService qos ? (int)qos : property.GetValue(options);
                }
            }
        }

        Add(new Bridge.BridgeOptions(), "");
        Assert.Equal(defaults.Keys.Order(), rows.Select(r => r.Key).Order());
        foreach (var (key, stated) in rows)
        {
            if (defaults[key] is { } value && !Equals(value, ""))
            {
                Assert.Equal($"`{Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!.ToLowerInvariant()}`", stated.ToLowerInvariant());
            }
            else
            {
                Assert.False(stated.StartsWith('`') && stated.EndsWith('`'), $"{key}: {stated} is stated as a value, and has none");
            }
        }
    }

    [Fact]
    public async Task ExampleFile_StartsABroker_WithEveryListener()
    {
        string doc = File.ReadAllText(DocPath);
        string json = JsonBlock().Match(doc).Groups[1].Value;
        using var certificates = Listeners.TestCertificates.Create();
        json = json
            .Replace("/etc/starling/server.crt", certificates.ServerCertificatePath, StringComparison.Ordinal)
            .Replace("/etc/starling/server.key", certificates.ServerKeyPath, StringComparison.Ordinal)
            .Replace("/etc/starling/clients-ca.crt", certificates.CaPath, StringComparison.Ordinal)
            .Replace("/etc/starling/server.pfx", certificates.ServerPfxPath, StringComparison.Ordinal)
            .Replace("change-me", Listeners.TestCertificates.PfxPassword, StringComparison.Ordinal);
        string file = Path.Combine(certificates.Directory, "example.json");
        await File.WriteAllTextAsync(file, json);
        var configuration = new ConfigurationBuilder().AddJsonFile(file).Build();
        var names = configuration.GetSection("Starling:Listeners").GetChildren().Select(c => c.Key).ToArray();
        Assert.NotEmpty(names);

        // The example's own ports may be taken on this machine: every listener gets a free one instead.
        string[] ports = [.. names.Select(n => $"--Starling:Listeners:{n}:Port=0"), .. names.Select(n => $"--Starling:Listeners:{n}:BindAddress=127.0.0.1")];
        await using var broker = await Infrastructure.BrokerFixture.StartAsync(null, ["--config", file, .. ports]);

        Assert.Equal(names.Order(), broker.Service.Listeners.Select(l => l.Name).Order());
        Assert.Equal(new[] { "http", "tcp", "tls", "ws", "wss" }, broker.Service.Listeners.Select(l => l.Type).Distinct().Order());
        using var http = new HttpClient();
        Assert.Equal("ok", await http.GetStringAsync(new Uri($"http://127.0.0.1:{broker.PortOf("monitor")}/health")));
        await using var client = await Infrastructure.MqttNet.ConnectAsync(broker, "example");
        Assert.True(client.Client.IsConnected);
    }

    /// <summary>The text from <paramref name="heading"/> to the next heading of the same level.</summary>
    private static string Section(string doc, string heading)
    {
        int start = doc.IndexOf(heading + "\n", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section {heading}");
        int end = doc.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? doc[start..] : doc[start..end];
    }

    /// <summary>The first column (without backticks) and the second of the table whose header starts with <paramref name="header"/>.</summary>
    private static List<(string Key, string Second)> Table(string section, string header)
    {
        var rows = new List<(string, string)>();
        int start = section.IndexOf(header, StringComparison.Ordinal);
        Assert.True(start >= 0, $"no table {header}");
        foreach (var line in section[start..].Split('\n').Skip(2))
        {
            if (!line.StartsWith('|'))
            {
                break;
            }

            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            rows.Add((cells[1].Trim('`'), cells[2]));
        }

        return rows;
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex(@"^\| `(\w+)` \| `([^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex TableRow();
}
