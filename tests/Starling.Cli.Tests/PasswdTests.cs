using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Hosting;

namespace Starling.Cli.Tests;

/// <summary><c>starling passwd</c> writes a password file the broker then enforces (docs/security.md).</summary>
public sealed class PasswdTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("starling-passwd-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Passwd_AddsChangesAndDeletesUsers_AndTheBrokerUsesTheFile()
    {
        string file = Path.Combine(_directory, "passwords");
        var added = await Cli.RunAsync(["passwd", file, "alice", "--password", "first"]);
        Assert.Equal((0, "added alice"), (added.ExitCode, added.Output.Trim()));
        var changed = await Cli.RunAsync(["passwd", file, "alice"], stdin: "secret\n");
        Assert.Equal((0, "changed the password of alice"), (changed.ExitCode, changed.Output.Trim()));
        Assert.Equal(0, (await Cli.RunAsync(["passwd", file, "bob", "--password", "gone"])).ExitCode);
        Assert.Equal(0, (await Cli.RunAsync(["passwd", file, "bob", "--delete"])).ExitCode);
        Assert.StartsWith("alice:$pbkdf2-sha512$", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.DoesNotContain("bob", File.ReadAllText(file), StringComparison.Ordinal);

        var missing = await Cli.RunAsync(["passwd", file, "nobody", "--delete"]);
        Assert.Equal(1, missing.ExitCode);
        var bad = await Cli.RunAsync(["passwd", file, "carol", "--delete", "--password", "x"]);
        Assert.Equal(2, bad.ExitCode);

        var builder = StarlingHost.CreateBuilder(["--port", "0", "--bind", IPAddress.Loopback.ToString(), "--Logging:LogLevel:Default=Warning", $"--Starling:PasswordFile={file}"]);
        builder.Services.AddStarling(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            string port = host.Services.GetRequiredService<StarlingHostedService>().Listeners[0].LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture);
            var ok = await Cli.RunAsync(["pub", "-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "secret", "-t", "t", "-m", "x"]);
            Assert.True(ok.ExitCode == 0, ok.Error);
            var wrong = await Cli.RunAsync(["pub", "-h", "127.0.0.1", "-p", port, "-u", "alice", "-P", "first", "-t", "t", "-m", "x"]);
            Assert.Equal(4, wrong.ExitCode); // refused: bad user name or password
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
