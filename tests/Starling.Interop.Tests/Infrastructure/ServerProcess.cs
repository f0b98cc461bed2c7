using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Starling.Interop.Tests.Infrastructure;

/// <summary>The real starling-server executable in its own process, so a test can kill it as a crash would (SIGKILL).</summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Host => "127.0.0.1";

    /// <summary>What the server printed so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server on a free loopback port with <paramref name="arguments"/> and waits until it listens.</summary>
    public static async Task<ServerProcess> StartAsync(params string[] arguments)
    {
        int port = LocalPorts.Free();
        string serverDll = Path.Combine(AppContext.BaseDirectory, "starling-server.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { serverDll, "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1" }.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        var server = new ServerProcess(Process.Start(info)!, port);
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        var listening = LocalPorts.WaitUntilListeningAsync(port);
        var exited = server._process.WaitForExitAsync();
        if (await Task.WhenAny(listening, exited) == exited)
        {
            throw new InvalidOperationException("starling-server exited at start:\n" + server.Output);
        }

        await listening;
        return server;
    }

    /// <summary>The process's blocked, ignored and caught signal masks (/proc/PID/status), for a test about signals that fails.</summary>
    public string SignalMasks()
    {
        try
        {
            return string.Join("; ", File.ReadLines($"/proc/{_process.Id}/status").Where(l => l.StartsWith("Sig", StringComparison.Ordinal)));
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>Whether the process is still running.</summary>
    public bool IsRunning => !_process.HasExited;

    /// <summary>Sends <paramref name="signal"/> (1: SIGHUP, 15: SIGTERM) to the server, as kill(1) would.</summary>
    public void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>SIGKILL: no stop, no flush, no checkpoint; what was not committed is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd or Ctrl+C stops it; returns the exit code, or null when it has not exited within <paramref name="timeout"/>.</summary>
    public async Task<int?> TerminateAsync(TimeSpan timeout)
    {
        Signal(15);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
            return _process.ExitCode;
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
