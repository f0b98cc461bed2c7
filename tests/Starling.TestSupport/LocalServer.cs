using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Starling.TestSupport;

/// <summary>
/// A real server a test starts itself (Debian's redis-server, nats-server, mosquitto): on 127.0.0.1 and a free port, its files
/// in a temporary directory, ready once the port accepts; killed and its directory removed on dispose.
/// </summary>
public abstract class LocalServer : IDisposable
{
    private readonly ProcessStartInfo _info;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();
    private Process _process;
    private int _disposed;

    /// <param name="program">The executable, found on the PATH.</param>
    /// <param name="name">What it is, for the temporary directory's name.</param>
    /// <param name="arguments">Its arguments, given the port and the directory.</param>
    protected LocalServer(string program, string name, Func<int, string, IEnumerable<string>> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        Directory = Path.Combine(Path.GetTempPath(), $"starling-{name}-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Port = FreePort();
        _info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments(Port, Directory))
        {
            _info.ArgumentList.Add(argument);
        }

        _process = Launch();
    }

    public int Port { get; }

    /// <summary>The server's last lines of output (standard output and error), for a failing test to show.</summary>
    public string RecentOutput => string.Join('\n', _output);

    public string Directory { get; }

    protected static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (!disposing || Interlocked.Exchange(ref _disposed, 1) == 1)
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

    /// <summary>Kills the server (as a crash would) and starts it again on the same port with the same files.</summary>
    public void Restart()
    {
        _process.Kill();
        _process.WaitForExit();
        _process.Dispose();
        _process = Launch();
    }

    /// <summary>
    /// Stops the server as an operator would (SIGTERM: it saves what it persists) and starts it again on the same port
    /// and directory; returns once the port accepts again. Also starts a server that <see cref="Stop"/> stopped.
    /// </summary>
    public void RestartGracefully()
    {
        Stop();
        _process.Dispose();
        _process = Launch();
    }

    /// <summary>Stops the server with SIGTERM and waits for it to exit (it can be started again with <see cref="RestartGracefully"/>).</summary>
    public void Stop()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", Text(_process.Id)]);
            kill.WaitForExit();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            while (_output.Count > 200 && _output.TryDequeue(out _))
            {
            }
        }
    }

    private Process Launch()
    {
        Process process;
        try
        {
            process = Process.Start(_info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{_info.FileName} is not installed: scripts/test.sh installs Debian's {_info.FileName}.", ex);
        }

        process.OutputDataReceived += (_, line) => Keep(line.Data);
        process.ErrorDataReceived += (_, line) => Keep(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return process;
            }
            catch (SocketException) when (waited.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
