using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Starling.TestSupport;

/// <summary>
/// A real nats-server (Debian's, which scripts/test.sh installs) on 127.0.0.1 and a free port, with JetStream's files
/// in a temporary directory. Killed and its directory removed on dispose.
/// </summary>
public sealed class NatsServer : IDisposable
{
    private readonly Process _process;
    private int _disposed;

    private NatsServer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        Directory = directory;
    }

    public int Port { get; }

    public string Directory { get; }

    public string Url => "nats://127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    public static NatsServer Start()
    {
        string directory = Path.Combine(Path.GetTempPath(), "starling-nats-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var info = new ProcessStartInfo("nats-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-js", "-sd", directory })
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("nats-server is not installed: scripts/test.sh installs Debian's nats-server.", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new NatsServer(process, port, directory);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}
