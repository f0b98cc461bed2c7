using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests.Packaging;

/// <summary>scripts/pack.sh once, into a temporary folder shared by the tests below.</summary>
public sealed class PackedFeed : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("starling-packages-").FullName;

    internal LocalFeed Feed { get; private set; } = null!;

    public async Task InitializeAsync() => Feed = await LocalFeed.PackAsync(_root);

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}

/// <summary>
/// The NuGet packages as a user gets them: their metadata, then restored from the local folder into a fresh console
/// app and a fresh ASP.NET Core app (nothing of the repository on the way), run, and reached with mosquitto_pub.
/// </summary>
public sealed class PackagesTests(PackedFeed packed) : IClassFixture<PackedFeed>
{
    private static readonly string[] Libraries =
    [
        "Starling.Mqtt", "Starling.Mqtt.Client", "Starling.Broker", "Starling.Net", "Starling.Security",
        "Starling.Cluster", "Starling.Bridge", "Starling.Storage.Sqlite", "Starling.Storage.Redis", "Starling.Hosting",
    ];

    private LocalFeed Feed => packed.Feed;

    [Fact]
    public void EveryPackage_HasItsDocs_Readme_License_AndRepository_AtTheOneVersion()
    {
        foreach (string id in Libraries.Append("Starling.Security.Passwd").Append("Starling.Cli"))
        {
            string path = Path.Combine(Feed.Packages, $"{id}.{Feed.Version}.nupkg");
            Assert.True(File.Exists(path), $"{id} {Feed.Version} was not packed");
            using var package = ZipFile.OpenRead(path);
            var metadata = XDocument.Load(package.GetEntry($"{id}.nuspec")!.Open()).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Get(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            Assert.Equal("MIT", Get("license"));
            Assert.Equal("README.md", Get("readme"));
            Assert.NotNull(package.GetEntry("README.md"));
            Assert.NotNull(package.GetEntry("LICENSE"));
            var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
            Assert.StartsWith("https://", (string?)repository.Attribute("url"), StringComparison.Ordinal);
            Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");
            Assert.False(string.IsNullOrWhiteSpace(Get("description")), id);
            if (Libraries.Contains(id))
            {
                Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
                Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.xml")); // the XML docs, for IntelliSense
            }
        }
    }

    [Fact]
    public async Task AFreshConsoleApp_RestoresTheLocalPackages_AndItsBrokerCarriesMosquittoTraffic()
    {
        await using var app = await FreshApp.BuildAsync(Feed, "consoleapp", new Dictionary<string, string>
        {
            ["consoleapp.csproj"] = Project("Microsoft.NET.Sdk", "Starling.Hosting", "Starling.Mqtt.Client"),
            ["Program.cs"] = """
                using Microsoft.Extensions.Hosting;
                using Starling.Hosting;

                var builder = StarlingHost.CreateBuilder(args);
                builder.Services.AddStarling(builder.Configuration);
                await builder.Build().RunAsync();
                """,
        });
        int port = LocalPorts.Free();
        // The default store: the SQLite file, from the Starling.Storage.Sqlite package.
        await app.StartAsync(port, "--port", Text(port), "--bind", "127.0.0.1", "--Starling:Storage:Type=sqlite", "--Starling:Storage:Path=" + Path.Combine(app.Directory, "data"), "--Starling:Monitor:Enabled=false");

        Assert.Equal("from-package", await PublishUntilReceivedAsync(port, "fresh/console", "from-package"));
        Assert.True(File.Exists(Path.Combine(app.Directory, "data", "starling.db")), app.Output);
    }

    [Fact]
    public async Task AFreshWebApp_EmbedsTheBroker_NextToItsOwnEndpoint_OnItsOwnKestrel()
    {
        await using var app = await FreshApp.BuildAsync(Feed, "webapp", new Dictionary<string, string>
        {
            ["webapp.csproj"] = Project("Microsoft.NET.Sdk.Web", "Starling.Hosting"),
            ["Program.cs"] = """
                using Starling.Hosting;

                var builder = WebApplication.CreateBuilder(args);
                builder.Services.AddStarling(o =>
                {
                    o.Server.Port = builder.Configuration.GetValue<int>("MqttPort");
                    o.Server.BindAddress = "127.0.0.1";
                    o.Storage.Type = StorageType.Memory;
                    o.MonitorListener = false;
                });
                var app = builder.Build();
                app.MapGet("/", () => "the fresh web app's own endpoint");
                app.MapStarlingWebSockets("/mqtt");
                app.MapStarlingMonitor("/starling");
                app.Run();
                """,
        });
        int http = LocalPorts.Free(), mqtt = LocalPorts.Free();
        await app.StartAsync(http, "--urls", $"http://127.0.0.1:{http}", "--MqttPort", Text(mqtt));
        await LocalPorts.WaitUntilListeningAsync(mqtt);

        using var web = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("the fresh web app's own endpoint", await web.GetStringAsync(new Uri($"http://127.0.0.1:{http}/")));
        Assert.Contains("\"version\"", await web.GetStringAsync(new Uri($"http://127.0.0.1:{http}/starling/api/v1/broker")), StringComparison.Ordinal);
        Assert.Equal("over-tcp", await PublishUntilReceivedAsync(mqtt, "fresh/web", "over-tcp"));

        // A WebSocket subscriber on the app's own port gets what mosquitto_pub sends over TCP.
        using var ws = new MqttClientFactory().CreateMqttClient();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        ws.ApplicationMessageReceivedAsync += e =>
        {
            received.TrySetResult(e.ApplicationMessage.ConvertPayloadToString());
            return Task.CompletedTask;
        };
        await ws.ConnectAsync(new MqttClientOptionsBuilder().WithWebSocketServer(o => o.WithUri($"ws://127.0.0.1:{http}/mqtt")).WithProtocolVersion(MqttProtocolVersion.V500).WithTimeout(TimeSpan.FromSeconds(10)).Build());
        await ws.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("fresh/ws", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", Text(mqtt), "-t", "fresh/ws", "-q", "1", "-m", "to-websocket"], TimeSpan.FromSeconds(10));
        Assert.True(exit == 0, error);
        Assert.Equal("to-websocket", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private string Project(string sdk, params string[] packages) => $"""
        <Project Sdk="{sdk}">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
          </PropertyGroup>
          <ItemGroup>
        {string.Concat(packages.Select(p => $"    <PackageReference Include=\"{p}\" Version=\"{Feed.Version}\" />\n"))}  </ItemGroup>
        </Project>
        """;

    /// <summary>mosquitto_sub -C 1, and mosquitto_pub until it has received (its SUBACK is silent); returns what it printed.</summary>
    private static async Task<string> PublishUntilReceivedAsync(int port, string topic, string message)
    {
        using var sub = Mosquitto.StartSub(["-h", "127.0.0.1", "-p", Text(port), "-t", topic, "-q", "1", "-C", "1", "-W", "15"]);
        var waited = Stopwatch.StartNew();
        do
        {
            var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", Text(port), "-t", topic, "-q", "1", "-m", message], TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, error);
        }
        while (!sub.WaitForExit(200) && waited.Elapsed < TimeSpan.FromSeconds(15));

        return (await sub.StandardOutput.ReadToEndAsync()).Trim();
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
