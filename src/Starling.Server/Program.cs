using Microsoft.Extensions.Hosting;
using Starling.Hosting;

// The starling broker: TCP 1883 by default, settings from appsettings.json, STARLING__ environment variables
// and the command line (--port N). Ctrl+C or SIGTERM stops it gracefully.
var builder = StarlingHost.CreateBuilder(args);
builder.Services.AddStarling(builder.Configuration);
await builder.Build().RunAsync().ConfigureAwait(false);
