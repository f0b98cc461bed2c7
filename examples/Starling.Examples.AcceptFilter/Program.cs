using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Examples.AcceptFilter;
using Starling.Hosting;

// A broker that closes connections from blocked addresses before reading any MQTT byte:
//   dotnet run --project examples/Starling.Examples.AcceptFilter -- --port 1884 --AcceptFilter:Blocked:0=10.0.0.0/8
var builder = StarlingHost.CreateBuilder(args);
builder.Services.AddStarling(builder.Configuration);
builder.Services.Configure<AcceptFilterOptions>(builder.Configuration.GetSection(AcceptFilterOptions.Section));
builder.Services.AddStarlingHook<AcceptFilterHook>();
await builder.Build().RunAsync().ConfigureAwait(false);
