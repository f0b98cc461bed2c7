using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests.Monitor;

/// <summary>
/// The admin API over real HTTP (docs/monitor.md), against a broker with real clients: MQTTnet and Debian's
/// mosquitto_pub / mosquitto_sub.
/// </summary>
public sealed class MonitorApiTests : IAsyncLifetime
{
    private BrokerFixture _broker = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _broker = await BrokerFixture.StartAsync(null, "--Starling:Monitor:Port=0", "--Starling:SysInterval=1");
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_broker.PortOf("monitor")}/"), Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _broker.DisposeAsync();
    }

    [Fact]
    public async Task Clients_ListsAConnectedClient_WithVersionAndKeepAlive()
    {
        await using var client = await MqttNet.ConnectAsync(_broker, "api-listed", MqttProtocolVersion.V500, configure: o => o.WithKeepAlivePeriod(TimeSpan.FromSeconds(42)));
        var page = await GetJsonAsync("api/v1/clients?search=api-list");
        var item = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.Equal("api-listed", item.GetProperty("clientId").GetString());
        Assert.Equal("5.0", item.GetProperty("protocolVersion").GetString());
        Assert.Equal(42, item.GetProperty("keepAliveSeconds").GetInt32());
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("api/v1/clients/nobody")).StatusCode);
    }

    [Fact]
    public async Task Kick_Disconnects_WithAdministrativeAction_MQTT_3_14_2_1()
    {
        await using var client = await MqttNet.ConnectAsync(_broker, "api-kicked", MqttProtocolVersion.V500);
        var response = await _http.DeleteAsync("api/v1/clients/api-kicked");
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var disconnected = await client.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(MqttClientDisconnectReason.AdministrativeAction, disconnected.Reason);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.DeleteAsync("api/v1/clients/api-kicked")).StatusCode);
    }

    [Fact]
    public async Task Subscription_AddedThroughTheApi_Delivers_ThePublishOfTheApi()
    {
        await using var client = await MqttNet.ConnectAsync(_broker, "api-subscriber", MqttProtocolVersion.V500);
        var added = await _http.PostAsJsonAsync("api/v1/clients/api-subscriber/subscriptions", new { filter = "api/added/#", qos = 1 });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var subscriptions = await GetJsonAsync("api/v1/subscriptions?clientId=api-subscriber");
        Assert.Equal("api/added/#", Assert.Single(subscriptions.GetProperty("items").EnumerateArray()).GetProperty("filter").GetString());

        var published = await _http.PostAsJsonAsync("api/v1/publish", new { topic = "api/added/one", payload = "hello", qos = 1 });
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        var message = client.Next();
        Assert.Equal("api/added/one", message.Topic);
        Assert.Equal("hello", MqttNet.Text(message));

        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync("api/v1/clients/api-subscriber/subscriptions?filter=api%2Fadded%2F%23")).StatusCode);
        await _http.PostAsJsonAsync("api/v1/publish", new { topic = "api/added/two", payload = "gone", qos = 1 });
        Assert.Null(client.Next(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PostAsJsonAsync("api/v1/clients/api-subscriber/subscriptions", new { filter = "a/#/b", qos = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.PostAsJsonAsync("api/v1/clients/nobody/subscriptions", new { filter = "a", qos = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.PostAsJsonAsync("api/v1/publish", new { topic = "bad/+", payload = "x" })).StatusCode);
    }

    [Fact]
    public async Task Sessions_ListOfflinePersistentSessions()
    {
        await using (var client = await MqttNet.ConnectAsync(_broker, "api-offline", MqttProtocolVersion.V500, cleanSession: false))
        {
            await client.SubscribeAsync("api/offline/#", MqttQualityOfServiceLevel.AtLeastOnce);
            await client.Client.DisconnectAsync();
        }

        await Mosquitto.RunAsync("mosquitto_pub", ["-h", _broker.Host, "-p", Port, "-t", "api/offline/x", "-m", "queued", "-q", "1"], TimeSpan.FromSeconds(10));
        var page = await GetJsonAsync("api/v1/sessions?online=false&search=api-offline");
        var session = Assert.Single(page.GetProperty("items").EnumerateArray());
        Assert.False(session.GetProperty("online").GetBoolean());
        Assert.Equal(1, session.GetProperty("queued").GetInt32());
        Assert.Equal(1, session.GetProperty("subscriptions").GetInt32());
    }

    [Fact]
    public async Task Retained_ReadAndDelete_MQTT_3_3_1_10()
    {
        var (code, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", _broker.Host, "-p", Port, "-t", "api/retained/t", "-m", "21.5", "-r", "-q", "1"], TimeSpan.FromSeconds(10));
        Assert.True(code == 0, error);
        var one = await GetJsonAsync("api/v1/retained/api/retained/t");
        Assert.Equal("21.5", one.GetProperty("payloadText").GetString());
        var list = await GetJsonAsync("api/v1/retained?search=api/retained");
        Assert.Equal("api/retained/t", Assert.Single(list.GetProperty("items").EnumerateArray()).GetProperty("topic").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await _http.DeleteAsync("api/v1/retained/api/retained/t")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync("api/v1/retained/api/retained/t")).StatusCode);
        var (_, output, _) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", _broker.Host, "-p", Port, "-t", "api/retained/#", "-W", "1"], TimeSpan.FromSeconds(10));
        Assert.Equal("", output.Trim()); // a new subscriber gets nothing retained
    }

    [Fact]
    public async Task TopicTree_ShowsPublishedTopics_CountsAndLastPayload()
    {
        await GetJsonAsync("api/v1/topics"); // someone watches: the tree fills from now on
        for (int i = 0; i < 3; i++)
        {
            await Mosquitto.RunAsync("mosquitto_pub", ["-h", _broker.Host, "-p", Port, "-t", "api/tree/room/temp", "-m", $"{{\"c\":{i}}}"], TimeSpan.FromSeconds(10));
        }

        var root = await GetJsonAsync("api/v1/topics");
        Assert.Contains(root.GetProperty("children").EnumerateArray(), c => c.GetProperty("name").GetString() == "api");
        var level = await GetJsonAsync("api/v1/topics?path=api/tree/room");
        var leaf = Assert.Single(level.GetProperty("children").EnumerateArray());
        Assert.Equal("api/tree/room/temp", leaf.GetProperty("path").GetString());
        Assert.Equal(3, leaf.GetProperty("messages").GetInt64());
        Assert.Equal("{\"c\":2}", leaf.GetProperty("last").GetProperty("preview").GetString());
        Assert.Equal("json", leaf.GetProperty("last").GetProperty("format").GetString());
    }

    [Fact]
    public async Task Trace_OfAClient_StreamsItsPackets()
    {
        await using var client = await MqttNet.ConnectAsync(_broker, "api-traced", MqttProtocolVersion.V500);
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/v1/trace/stream?clientId=api-traced");
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.StartsWith(":", await reader.ReadLineAsync()); // the stream is open: what follows is traced
        await client.PublishAsync("api/trace/t", "traced", MqttQualityOfServiceLevel.AtLeastOnce);
        var packets = new List<JsonElement>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (packets.Count < 2 && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                packets.Add(JsonDocument.Parse(line["data: ".Length..]).RootElement);
            }
        }

        Assert.Contains(packets, p => p.GetProperty("type").GetString() == "PUBLISH" && p.GetProperty("direction").GetString() == "in" && p.GetProperty("topic").GetString() == "api/trace/t" && p.GetProperty("preview").GetString() == "traced");
        Assert.Contains(packets, p => p.GetProperty("type").GetString() == "PUBACK" && p.GetProperty("direction").GetString() == "out");
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync("api/v1/trace/stream")).StatusCode);
    }

    [Fact]
    public async Task Metrics_ArePrometheusText_AndCountTraffic()
    {
        for (int i = 0; i < 5; i++)
        {
            await Mosquitto.RunAsync("mosquitto_pub", ["-h", _broker.Host, "-p", Port, "-t", "api/metrics", "-m", "x", "-q", "1"], TimeSpan.FromSeconds(10));
        }

        string text = await _http.GetStringAsync("metrics");
        var line = text.Split('\n').Single(l => l.StartsWith("starling_messages_received_total{", StringComparison.Ordinal) && l.Contains("qos=\"1\"", StringComparison.Ordinal));
        Assert.True(long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) >= 5, line);
        Assert.Contains("starling_connections_current", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE starling_bytes_received_bytes_total counter", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BrokerInfo_OpenApi_AndThePage_AreServed()
    {
        var info = await GetJsonAsync("api/v1/broker");
        Assert.StartsWith("starling ", info.GetProperty("version").GetString());
        Assert.True(info.GetProperty("uptimeSeconds").GetInt64() >= 0);
        string openApi = await _http.GetStringAsync("openapi/v1.json");
        Assert.Contains("/api/v1/clients/{clientId}", openApi, StringComparison.Ordinal);
        var page = await _http.GetAsync("");
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SysTopics_ArePublishedRetained_AndNotMatchedByHash_MQTT_4_7_2_1()
    {
        var (code, output, error) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", _broker.Host, "-p", Port, "-t", "$SYS/broker/uptime", "-t", "$SYS/broker/version", "-v", "-C", "2", "-W", "5"], TimeSpan.FromSeconds(10));
        Assert.True(code == 0, error);
        Assert.Contains("$SYS/broker/version starling ", output, StringComparison.Ordinal);
        Assert.Matches(@"\$SYS/broker/uptime \d+ seconds", output);
        var (_, all, _) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", _broker.Host, "-p", Port, "-t", "#", "-v", "-W", "2"], TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("$SYS", all, StringComparison.Ordinal);
    }

    private string Port => _broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await _http.GetAsync(path);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}

/// <summary>The monitor's default port, taken by another process: the broker starts without the monitor rather than not at all.</summary>
public sealed class MonitorDefaultPortTests
{
    [Fact]
    public async Task DefaultPortTaken_BrokerStartsWithoutItsMonitor_ButAnExplicitPortMustBeFree()
    {
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 18083);
        try
        {
            squatter.Start();
        }
        catch (System.Net.Sockets.SocketException)
        {
            // Already in use by something else: the case under test either way.
        }

        // "Port=" with nothing: unset, as in a configuration that never names it (the suite sets 0 for every broker).
        await using (var broker = await BrokerFixture.StartAsync(null, "--Starling:Monitor:Port="))
        {
            Assert.DoesNotContain(broker.Service.Listeners, l => l.Name == "monitor");
            await using var client = await MqttNet.ConnectAsync(broker, "still-serving");
            Assert.True(client.Client.IsConnected);
        }

        await Assert.ThrowsAnyAsync<Exception>(async () => await BrokerFixture.StartAsync(null, "--Starling:Monitor:Port=18083"));
    }
}

/// <summary>The $SYS topics are subscribed to like any other: an ACL file decides who sees them.</summary>
public sealed class SysTopicsAclTests
{
    [Fact]
    public async Task OnlyClientsTheAclAllows_SeeSysTopics()
    {
        string directory = Directory.CreateTempSubdirectory("starling-sys-acl").FullName;
        try
        {
            var passwords = new Security.PasswordFile();
            passwords.SetPassword("operator", "op", iterations: 1000);
            passwords.SetPassword("device", "dev", iterations: 1000);
            string passwd = Path.Combine(directory, "passwd");
            await File.WriteAllTextAsync(passwd, passwords.ToString());
            string acl = Path.Combine(directory, "acl");
            await File.WriteAllTextAsync(acl, "user operator\ntopic read $SYS/#\n\nuser device\ntopic readwrite devices/#\n");
            await using var broker = await BrokerFixture.StartAsync(null, "--Starling:Monitor:Port=0", "--Starling:SysInterval=1", $"--Starling:PasswordFile={passwd}", $"--Starling:AclFile={acl}");
            string port = broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (code, output, error) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", broker.Host, "-p", port, "-u", "operator", "-P", "op", "-t", "$SYS/broker/uptime", "-C", "1", "-W", "5"], TimeSpan.FromSeconds(10));
            Assert.True(code == 0, error);
            Assert.Matches(@"\d+ seconds", output);
            var (_, denied, refusal) = await Mosquitto.RunAsync("mosquitto_sub", ["-h", broker.Host, "-p", port, "-u", "device", "-P", "dev", "-t", "$SYS/broker/uptime", "-W", "3"], TimeSpan.FromSeconds(10));
            Assert.DoesNotContain("seconds", denied, StringComparison.Ordinal);
            Assert.Contains("denied", refusal, StringComparison.OrdinalIgnoreCase); // SUBACK 0x80: connected, and refused by the ACL
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}

/// <summary>Who may use the API: credentials off loopback or when required, the page open to anyone, refusals 401/403.</summary>
public sealed class MonitorAuthenticationTests : IAsyncLifetime
{
    private BrokerFixture _broker = null!;
    private HttpClient _http = null!;
    private string _directory = null!;

    public async Task InitializeAsync()
    {
        _directory = Directory.CreateTempSubdirectory("starling-monitor-auth").FullName;
        var passwords = new Security.PasswordFile();
        passwords.SetPassword("admin", "s3cret", iterations: 1000);
        passwords.SetPassword("viewer", "look", iterations: 1000);
        string file = Path.Combine(_directory, "passwd");
        await File.WriteAllTextAsync(file, passwords.ToString());
        _broker = await BrokerFixture.StartAsync(
            null,
            "--Starling:Monitor:Port=0",
            "--Starling:Monitor:RequireAuthentication=true",
            "--Starling:Monitor:ApiKeys:0=key-123",
            "--Starling:Monitor:Users:0=admin",
            $"--Starling:PasswordFile={file}",
            "--Starling:AllowAnonymous=true");
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_broker.PortOf("monitor")}/") };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _broker.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData("api/v1/broker")]
    [InlineData("api/v1/clients")]
    [InlineData("metrics")]
    [InlineData("openapi/v1.json")]
    public async Task WithoutCredentials_IsRefused401_WithABasicChallenge(string path)
    {
        var response = await _http.GetAsync(path);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Basic", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task ApiKey_InEitherHeader_IsAccepted_AndAWrongOneRefused()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("api/v1/broker", r => r.Headers.Add("X-Api-Key", "key-123"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("api/v1/broker", r => r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "key-123"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync("api/v1/broker", r => r.Headers.Add("X-Api-Key", "key-124"))).StatusCode);
    }

    [Fact]
    public async Task Basic_WithThePasswordFile_AllowsListedUsers_Forbids403Others()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("api/v1/broker", Basic("admin", "s3cret"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync("api/v1/broker", Basic("admin", "wrong"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync("api/v1/broker", Basic("viewer", "look"))).StatusCode);
    }

    [Fact]
    public async Task ThePage_NeedsNoCredentials_ItsRequests_GetNoBrowserChallenge()
    {
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync("")).StatusCode);
        var fromPage = await SendAsync("api/v1/broker", r => r.Headers.Add("X-Starling-Monitor", "1"));
        Assert.Equal(HttpStatusCode.Unauthorized, fromPage.StatusCode);
        Assert.Empty(fromPage.Headers.WwwAuthenticate); // the page shows its own banner instead of the browser's login box
    }

    private static Action<HttpRequestMessage> Basic(string user, string password) =>
        r => r.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private async Task<HttpResponseMessage> SendAsync(string path, Action<HttpRequestMessage> configure)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        configure(request);
        return await _http.SendAsync(request);
    }
}
