using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>
/// deploy/starling.service: systemd accepts it, and the Type=notify it declares holds: the real server sends
/// READY=1 to $NOTIFY_SOCKET, and only once its listener accepts connections.
/// </summary>
public sealed class ServiceUnitTests : IDisposable
{
    private static readonly string Unit = Path.Combine(Repository.Root, "deploy", "starling.service");
    private readonly string _directory = Directory.CreateTempSubdirectory("starling-unit-").FullName;

    [Fact]
    public async Task TheUnit_PassesSystemdAnalyzeVerify_AndRunsTheServerThisRepositoryBuilds()
    {
        var verify = await ProcessRunner.RunAsync("systemd-analyze", ["verify", Unit], TimeSpan.FromSeconds(30));
        Assert.True(verify.ExitCode == 0 && verify.Error.Trim().Length == 0, verify.Output + verify.Error);

        string text = await File.ReadAllTextAsync(Unit);
        Assert.Contains("\nType=notify\n", text, StringComparison.Ordinal);
        Assert.Contains("\nExecReload=/bin/kill -HUP $MAINPID\n", text, StringComparison.Ordinal);
        string dll = text.Split('\n').Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal)).Split(' ').Single(w => w.EndsWith(".dll", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, Path.GetFileName(dll))), $"{dll} is not what Starling.Server builds");
    }

    [Fact]
    public async Task UnderSystemd_TheServer_SendsReady_OnceItsListenerAccepts()
    {
        // systemd's protocol: a datagram "READY=1" on the unix socket named by NOTIFY_SOCKET.
        string socketPath = Path.Combine(_directory, "notify");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));

        // .NET's systemd lifetime turns on when the process's parent is named systemd: a copy of bash by that name
        // starts the server (and, having a command after it, stays its parent instead of exec-ing it).
        string systemd = Path.Combine(_directory, "systemd");
        File.Copy("/bin/bash", systemd);
        int port = LocalPorts.Free();
        string server = Path.Combine(AppContext.BaseDirectory, "starling-server.dll");
        var info = new ProcessStartInfo(systemd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"dotnet '{server}' --port {port.ToString(CultureInfo.InvariantCulture)} --bind 127.0.0.1 --Starling:Monitor:Enabled=false; exit $?");
        info.Environment["NOTIFY_SOCKET"] = socketPath;
        using var process = Process.Start(info)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var buffer = new byte[512];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            string message;
            do
            {
                int read = await notify.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                message = Encoding.UTF8.GetString(buffer, 0, read);
            }
            while (!message.Contains("READY=1", StringComparison.Ordinal));

            // Ready means ready: the listener accepts now, without waiting for it.
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", port);
            Assert.True(client.Connected);
        }
        catch (OperationCanceledException)
        {
            lock (output)
            {
                Assert.Fail("no READY=1 within 30 s:\n" + output);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
