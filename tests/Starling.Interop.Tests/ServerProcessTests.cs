using System.Diagnostics;
using System.Globalization;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>The real starling-server executable: --port, mosquitto traffic at every QoS, and a graceful stop on SIGTERM.</summary>
public sealed class ServerProcessTests
{
    [Fact]
    public async Task Server_AcceptsMosquittoTraffic_AndStopsGracefully_OnSigterm()
    {
        int port = LocalPorts.Free();
        string serverDll = Path.Combine(AppContext.BaseDirectory, "starling-server.dll");
        Assert.True(File.Exists(serverDll), serverDll);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { serverDll, "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1" })
        {
            info.ArgumentList.Add(argument);
        }

        using var server = Process.Start(info)!;
        var output = new System.Text.StringBuilder();
        server.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            await LocalPorts.WaitUntilListeningAsync(port);
            string p = port.ToString(CultureInfo.InvariantCulture);
            for (int qos = 0; qos <= 2; qos++)
            {
                string q = qos.ToString(CultureInfo.InvariantCulture);
                using var sub = Mosquitto.StartSub(["-h", "127.0.0.1", "-p", p, "-t", "proc/" + q, "-q", q, "-C", "1", "-W", "10"]);
                // mosquitto_sub says nothing when its SUBACK arrives: publish until it has received (-C 1 ends it),
                // rather than guess how long a loaded machine needs for the subscription.
                var waited = Stopwatch.StartNew();
                do
                {
                    var (exit, _, error) = await Mosquitto.RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", p, "-t", "proc/" + q, "-q", q, "-m", "hello" + q], TimeSpan.FromSeconds(10));
                    Assert.True(exit == 0, error);
                }
                while (!sub.WaitForExit(200) && waited.Elapsed < TimeSpan.FromSeconds(10));

                Assert.Equal("hello" + q, (await sub.StandardOutput.ReadToEndAsync()).Trim());
            }

            // A subscriber stays connected while the server stops: SIGTERM must close it and exit cleanly.
            var (lingering, _) = await RawClient.ConnectAsync(port, new Starling.Mqtt.Packets.ConnectPacket { ClientId = "lingering", KeepAlive = 60 });
            await using var _l = lingering;
            Assert.Equal(0, Kill(server.Id, 15));
            try
            {
                await server.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));
            }
            catch (TimeoutException)
            {
                lock (output)
                {
                    Assert.Fail("the server did not exit after SIGTERM:\n" + output);
                }
            }

            lock (output)
            {
                Assert.True(server.ExitCode == 0, "exit code " + server.ExitCode + " after SIGTERM:\n" + output);
            }

            Assert.True(await lingering.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
            lock (output)
            {
                Assert.Contains("Starling stopped", output.ToString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
        }
    }

    /// <summary>
    /// SIGTERM the moment the MQTT port opens, while the monitor's Kestrel may still be binding: the stop is as
    /// graceful as any other (exit 0, "Starling stopped"), never the abort (134) a cancelled bind once caused.
    /// </summary>
    [Fact]
    public async Task Sigterm_WhileTheMonitorIsStillStarting_StopsGracefully()
    {
        for (int round = 0; round < 4; round++)
        {
            await using var server = await ServerProcess.StartAsync("--Starling:Monitor:Port", LocalPorts.Free().ToString(CultureInfo.InvariantCulture));
            int? exit = await server.TerminateAsync(TimeSpan.FromSeconds(15));
            Assert.True(exit == 0, $"round {round}: exit {exit?.ToString(CultureInfo.InvariantCulture) ?? "none"} after SIGTERM:\n{server.Output}");
            Assert.Contains("Starling stopped", server.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Unhandled exception", server.Output, StringComparison.Ordinal);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
