using System.Diagnostics;
using System.Text.Json;

namespace Starling.Interop.Tests.Infrastructure;

/// <summary>
/// A subscriber on Debian's python3-paho-mqtt (tests/py/paho_sub.py), run by Debian's /usr/bin/python3: a strict client
/// nobody here wrote, which refuses a packet that carries a property its type may not have.
/// </summary>
public sealed class Paho : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stderr;

    private Paho(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts a subscriber to <paramref name="filter"/> and returns once its SUBACK is in.</summary>
    public static async Task<Paho> SubscribeAsync(BrokerFixture broker, string filter, int count, bool v5 = true, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            Path.Combine(Starling.TestSupport.Repository.Root, "tests", "py", "paho_sub.py"), broker.Host, broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            filter, count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            (timeout ?? TimeSpan.FromSeconds(15)).TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), v5 ? "--v5" : "--v311",
        })
        {
            info.ArgumentList.Add(argument);
        }

        var paho = new Paho(Process.Start(info)!);
        var first = await paho._process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        if (first != "\"ready\"")
        {
            throw new InvalidOperationException($"paho did not subscribe: {first}; stderr: {await paho.StderrAsync()}");
        }

        return paho;
    }

    /// <summary>Waits for the subscriber to end; its exit code (0: every message came) and the JSON lines it printed.</summary>
    public async Task<(int ExitCode, List<JsonElement> Lines, string Stderr)> WaitAsync()
    {
        var lines = new List<JsonElement>();
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            lines.Add(JsonDocument.Parse(line).RootElement.Clone());
        }

        await _process.WaitForExitAsync();
        return (_process.ExitCode, lines, await StderrAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task<string> StderrAsync() => _process.HasExited ? await _stderr : "(still running)";
}
