using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Starling.Interop.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Starling.Interop.Tests.Monitor;

/// <summary>
/// The web monitor in a real browser: Debian's Chromium, driven by tests/browser/monitor-check.mjs (npm
/// playwright-core, which downloads no browser), over a broker that Debian's mosquitto_pub and mosquitto_sub give
/// real traffic. The script looks at every view and saves a screenshot of each into artifacts/monitor; this test
/// starts what it looks at and checks, from outside the browser, what the page's buttons did.
/// </summary>
public sealed class MonitorBrowserTests(ITestOutputHelper output)
{
    private const string Topic = "monitor/test/temp";
    private const string RetainedTopic = "monitor/test/retained";
    private const string DeletedTopic = "monitor/test/delete-me";
    private const string Watched = "watched-client";
    private const string ApiKey = "secret";

    private static readonly string Chromium = "/usr/bin/chromium";
    private static readonly string BrowserTests = Path.Combine(Repository.Root, "tests", "browser");
    private static readonly string Screenshots = Path.Combine(Repository.Root, "artifacts", "monitor");

    [Fact]
    public async Task Monitor_InChromium_ShowsLiveTraffic_TheTopicTree_AndKicksAClient_AndRefusesWithoutAKey()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (scripts/test.sh does)");
        Assert.True(File.Exists(Path.Combine(BrowserTests, "node_modules", "playwright-core", "package.json")), "playwright-core is missing: npm ci --prefix tests/browser (scripts/test.sh does)");

        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:Monitor:Port=0");
        await using var secured = await BrokerFixture.StartAsync(null, "--Starling:Monitor:Port=0", "--Starling:Monitor:RequireAuthentication=true", $"--Starling:Monitor:ApiKeys:0={ApiKey}");
        string monitor = $"http://127.0.0.1:{broker.PortOf("monitor")}/";
        using var http = new HttpClient { BaseAddress = new Uri(monitor), Timeout = TimeSpan.FromSeconds(10) };

        foreach (var (topic, payload) in new[] { (RetainedTopic, "{\"kept\":true}"), (DeletedTopic, "bye") })
        {
            var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", [.. Connect(broker), "-q", "1", "-r", "-t", topic, "-m", payload], TimeSpan.FromSeconds(10));
            Assert.True(exit == 0, error);
        }

        // 5.0, so that the kick reaches it as DISCONNECT 0x98 and it exits instead of reconnecting.
        using var watched = Mosquitto.StartSub([.. Connect(broker), "-V", "mqttv5", "-i", Watched, "-t", "monitor/#"]);
        int delivered = 0;
        watched.OutputDataReceived += (_, e) => // read, or the full pipe would stall it and it would miss the kick
        {
            if (e.Data is not null)
            {
                Interlocked.Increment(ref delivered);
            }
        };
        watched.BeginOutputReadLine();
        watched.BeginErrorReadLine();
        using var publisher = StartPublisher(broker);
        using var stop = new CancellationTokenSource();
        var feeding = FeedAsync(publisher, stop.Token);
        try
        {
            await UntilAsync(async () => await ListsClientAsync(http, Watched), $"{Watched} to connect");

            if (Directory.Exists(Screenshots))
            {
                Directory.Delete(Screenshots, recursive: true); // so the screenshots checked below are this run's
            }

            var run = await ProcessRunner.RunAsync(
                "node",
                [
                    Path.Combine(BrowserTests, "monitor-check.mjs"), monitor, Screenshots,
                    "--topic", Topic, "--payload-key", "temp", "--kick", Watched,
                    "--retained", RetainedTopic, "--delete-retained", DeletedTopic,
                    "--auth-url", $"http://127.0.0.1:{secured.PortOf("monitor")}/", "--api-key", ApiKey,
                ],
                TimeSpan.FromSeconds(180),
                BrowserTests);
            string report = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            output.WriteLine(report);
            string failure = $"monitor-check.mjs exited {run.ExitCode}: {report}\nstderr: {run.Error}";
            Assert.True(run.ExitCode == 0, failure);
            using var json = JsonDocument.Parse(report);
            Assert.True(json.RootElement.GetProperty("ok").GetBoolean(), failure);
            var passed = json.RootElement.GetProperty("checks").EnumerateArray().Where(c => c.GetProperty("ok").GetBoolean()).Select(c => c.GetProperty("name").GetString()).ToList();
            Assert.Contains("overview shows a non-zero received rate", passed);
            Assert.Contains("payload panel pretty-prints the JSON payload", passed);
            Assert.Contains("kick answers 204", passed);
            Assert.Contains("page without credentials shows the 401 banner", passed);
            Assert.Contains("API without credentials answers 401", passed);
            Assert.Contains("API with X-Api-Key answers 200", passed);

            // What the page's buttons did, seen from outside the browser: the kicked mosquitto_sub is gone, and so is
            // the retained message deleted from the Retained view.
            Assert.True(await ExitsAsync(watched, TimeSpan.FromSeconds(10)), $"{Watched} (mosquitto_sub) still runs after the kick");
            Assert.True(Volatile.Read(ref delivered) > 0, $"{Watched} received nothing of the traffic");
            Assert.False(await ListsClientAsync(http, Watched), $"the API still lists {Watched}");
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/v1/retained/{DeletedTopic}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"api/v1/retained/{RetainedTopic}")).StatusCode);

            foreach (string view in new[] { "overview", "clients", "topics", "subscriptions", "retained", "trace" })
            {
                string file = Path.Combine(Screenshots, view + ".png");
                Assert.True(File.Exists(file), $"no screenshot {file}");
                byte[] head = new byte[8];
                await using (var stream = File.OpenRead(file))
                {
                    await stream.ReadExactlyAsync(head);
                }

                Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], head);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await feeding;
            await EndAsync(publisher);
            await EndAsync(watched);
        }
    }

    private static string[] Connect(BrokerFixture broker) => ["-h", broker.Host, "-p", broker.Port.ToString(CultureInfo.InvariantCulture)];

    /// <summary>mosquitto_pub -l: one connection, one PUBLISH per line written to its standard input.</summary>
    private static Process StartPublisher(BrokerFixture broker)
    {
        var info = new ProcessStartInfo("mosquitto_pub") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in Connect(broker).Concat(["-i", "monitor-publisher", "-t", Topic, "-l"]))
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>A JSON reading every 10 ms or so (the trace view's 500 rows fill within seconds), until cancelled.</summary>
    private static async Task FeedAsync(Process publisher, CancellationToken cancellation)
    {
        var input = publisher.StandardInput;
        try
        {
            for (int i = 0; !cancellation.IsCancellationRequested; i++)
            {
                string temp = (20 + (i % 50 / 10.0)).ToString("0.0", CultureInfo.InvariantCulture);
                await input.WriteLineAsync($"{{\"temp\":{temp},\"unit\":\"C\",\"seq\":{i}}}".AsMemory(), cancellation);
                await input.FlushAsync(cancellation);
                await Task.Delay(10, cancellation);
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        catch (IOException)
        {
            // mosquitto_pub exited; the checks say what that broke
        }
    }

    private static async Task<bool> ListsClientAsync(HttpClient http, string clientId)
    {
        using var list = JsonDocument.Parse(await http.GetStringAsync($"api/v1/clients?search={Uri.EscapeDataString(clientId)}"));
        return list.RootElement.GetProperty("items").EnumerateArray().Any(c => c.GetProperty("clientId").GetString() == clientId);
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(10); !await condition(); await Task.Delay(50))
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 10 s for {what}");
        }
    }

    private static async Task<bool> ExitsAsync(Process process, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Closes the process's input (mosquitto_pub -l ends there), then kills it if it still runs.</summary>
    private static async Task EndAsync(Process process)
    {
        try
        {
            if (process.StartInfo.RedirectStandardInput)
            {
                process.StandardInput.Close();
            }
        }
        catch (IOException)
        {
            // already gone
        }

        if (!await ExitsAsync(process, TimeSpan.FromSeconds(5)))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
