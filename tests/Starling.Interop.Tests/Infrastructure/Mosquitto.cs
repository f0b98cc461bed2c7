using System.Diagnostics;

namespace Starling.Interop.Tests.Infrastructure;

/// <summary>Runs Debian's mosquitto_pub and mosquitto_sub, real clients nobody here wrote.</summary>
public static class Mosquitto
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, await output, await error);
    }

    /// <summary>Starts mosquitto_sub and returns the running process (read its output after it exits).</summary>
    public static Process StartSub(IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo("mosquitto_sub") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info)!;
    }
}
