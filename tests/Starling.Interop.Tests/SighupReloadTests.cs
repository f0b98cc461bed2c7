using System.Globalization;
using Starling.Interop.Tests.Infrastructure;
using Starling.Security;

namespace Starling.Interop.Tests;

/// <summary>
/// The real starling-server: SIGHUP reloads the password file at once. The file is changed so that its time and
/// length stay the same, which the one-second change check cannot see, so only the signal can bring the new user in.
/// </summary>
public sealed class SighupReloadTests : IDisposable
{
    private const int SigHup = 1;
    private readonly string _directory = Directory.CreateTempSubdirectory("starling-sighup-").FullName;

    [Fact]
    public async Task Sighup_ReloadsThePasswordFile_AndTheNewUserConnects_WithMosquittoPub()
    {
        // Same-length names and passwords, same iterations: the two files have the same length.
        string path = Path.Combine(_directory, "passwd");
        await File.WriteAllTextAsync(path, $"alice:{PasswordHasher.Hash("alice-pw", 1000)}\n");
        var written = File.GetLastWriteTimeUtc(path);
        await using var server = await ServerProcess.StartAsync(
            "--Starling:PasswordFile=" + path, "--Starling:Storage:Type=memory", "--Starling:Monitor:Enabled=false");

        Assert.Equal(0, (await PublishAsync(server, "alice", "alice-pw")).ExitCode);
        Assert.NotEqual(0, (await PublishAsync(server, "carol", "carol-pw")).ExitCode);

        long length = new FileInfo(path).Length;
        await File.WriteAllTextAsync(path, $"carol:{PasswordHasher.Hash("carol-pw", 1000)}\n");
        File.SetLastWriteTimeUtc(path, written);
        Assert.Equal(length, new FileInfo(path).Length);
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));

        // Past the change check's interval the broker still has the old file: nothing it can see has changed.
        await Task.Delay(ReloadCheck + TimeSpan.FromMilliseconds(500));
        Assert.NotEqual(0, (await PublishAsync(server, "carol", "carol-pw")).ExitCode);

        server.Signal(SigHup);
        try
        {
            await Poll.UntilAsync(() => server.Output.Contains("SIGHUP: 1 security file(s) reloaded", StringComparison.Ordinal), "the reload's log line");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"No reload was logged (server running: {server.IsRunning}, {server.SignalMasks()}); its output:\n{server.Output}", ex);
        }
        var carol = await PublishAsync(server, "carol", "carol-pw");
        Assert.True(carol.ExitCode == 0, carol.Error + "\n" + server.Output);
        Assert.NotEqual(0, (await PublishAsync(server, "alice", "alice-pw")).ExitCode);
        Assert.True(server.IsRunning, "SIGHUP ended the server:\n" + server.Output);
    }

    /// <summary>How often the broker looks at a security file's time and length.</summary>
    private static TimeSpan ReloadCheck => TimeSpan.FromSeconds(1);

    private static Task<(int ExitCode, string Output, string Error)> PublishAsync(ServerProcess server, string user, string password) =>
        Mosquitto.RunAsync("mosquitto_pub", ["-h", server.Host, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-u", user, "-P", password, "-t", "sighup/test", "-m", user], TimeSpan.FromSeconds(10));

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
