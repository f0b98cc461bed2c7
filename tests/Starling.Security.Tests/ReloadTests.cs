using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Starling.Broker;
using Starling.Hosting;

namespace Starling.Security.Tests;

public sealed class ReloadTests
{
    [Fact]
    public async Task Hooks_ReloadAChangedFile_AndKeepTheLastGoodOneWhenItBreaks()
    {
        string directory = Directory.CreateTempSubdirectory("starling-reload-").FullName;
        try
        {
            string passwd = Path.Combine(directory, "passwd");
            string acl = Path.Combine(directory, "acl");
            PasswordFileEditor.SetPassword(passwd, "alice", "a", 1000);
            await File.WriteAllTextAsync(acl, "user alice\ntopic read a/#\n");
            using var passwordHook = new PasswordFileHook(new PasswordFileHookOptions { Path = passwd });
            var aclHook = new AclHook(acl);
            Assert.Equal(["alice"], passwordHook.File.Users);
            Assert.False(aclHook.Acl.CanSubscribe("alice", "c", "b/#"));

            PasswordFileEditor.SetPassword(passwd, "bob", "b", 1000);
            await File.WriteAllTextAsync(acl, "user alice\ntopic read a/#\ntopic read b/#\n");
            await Task.Delay(1200); // the files are looked at once a second at most
            Assert.Equal(["alice", "bob"], passwordHook.File.Users);
            Assert.True(aclHook.Acl.CanSubscribe("alice", "c", "b/#"));

            await File.WriteAllTextAsync(acl, "user alice\nsubscribe b/#\n");
            await Task.Delay(1200);
            Assert.True(aclHook.Acl.CanSubscribe("alice", "c", "b/#")); // the broken file is logged, the last good one stays
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task AMalformedFile_StopsTheBrokerAtStart_NamingTheKeyAndTheLine()
    {
        string path = Path.Combine(Path.GetTempPath(), $"starling-acl-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(path, "user alice\ntopic sometimes x\ntopic read a/#/b\n");
        try
        {
            var builder = StarlingHost.CreateBuilder(["--port", "0", "--bind", IPAddress.Loopback.ToString(), $"--Starling:AclFile={path}"]);
            builder.Services.AddStarling(builder.Configuration);
            using var host = builder.Build();
            var error = Assert.ThrowsAny<Exception>(() => host.Services.GetRequiredService<MqttBroker>());
            Assert.Contains($"Starling:AclFile: {path}:3: 'a/#/b' is not a valid topic filter", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
