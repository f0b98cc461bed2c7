using System.Diagnostics;

namespace Starling.Interop.Tests.Infrastructure;

/// <summary>Runs Debian's mosquitto_pub and mosquitto_sub, real clients nobody here wrote.</summary>
public static class Mosquitto
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var result = await Starling.TestSupport.ProcessRunner.RunAsync(tool, arguments, timeout);
        return (result.ExitCode, result.Output, result.Error);
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
