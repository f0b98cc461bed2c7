using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Starling.Broker.Hooks;
using Starling.Security;

namespace Starling.Hosting;

/// <summary>
/// SIGHUP reloads the password and ACL files at once, as mosquitto does (systemctl reload starling sends it).
/// The files are also reloaded when their time or length changes; SIGHUP is for the operator who wants the change in
/// force now, or whose tool kept both. Added by AddStarling when a password or ACL file is configured; without it,
/// SIGHUP would end the process.
/// </summary>
internal sealed partial class SighupReload(IEnumerable<BrokerHook> hooks, ILogger<SighupReload> logger) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true; // handled: the process goes on
                ThreadPool.QueueUserWorkItem(_ => Reload());
            });
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _registration?.Dispose();
        _registration = null;
    }

    /// <summary>Reloads every password and ACL file hook; a file that no longer parses keeps its previous version (logged by the hook).</summary>
    internal void Reload()
    {
        int reloaded = 0, failed = 0;
        foreach (var hook in hooks)
        {
            bool? ok = hook switch
            {
                PasswordFileHook passwords => passwords.Reload(),
                AclHook acl => acl.Reload(),
                _ => null,
            };
            if (ok == true)
            {
                reloaded++;
            }
            else if (ok == false)
            {
                failed++;
            }
        }

        Reloaded(logger, reloaded, failed);
    }

    [LoggerMessage(210, LogLevel.Information, "SIGHUP: {Reloaded} security file(s) reloaded, {Failed} kept their previous version.")]
    private static partial void Reloaded(ILogger logger, int reloaded, int failed);
}
