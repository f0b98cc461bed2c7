using Microsoft.Extensions.Hosting;
using Starling.Hosting;

// The starling broker: TCP 1883 by default, settings from appsettings.json, STARLING__ environment variables
// and the command line (--port N). Ctrl+C or SIGTERM stops it gracefully; SIGHUP reloads the password and ACL files.
var builder = StarlingHost.CreateBuilder(args);
// Under systemd (deploy/starling.service, Type=notify): READY=1 once the listeners are up, STOPPING=1 on stop, and
// logs without console colours for the journal. Elsewhere it does nothing.
builder.Services.AddSystemd();
builder.Services.AddStarling(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
