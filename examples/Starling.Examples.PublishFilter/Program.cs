using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Examples.PublishFilter;
using Starling.Hosting;

// A broker that disconnects subscribe-only users who publish and drops QoS 2 messages after acknowledging them:
//   dotnet run --project examples/Starling.Examples.PublishFilter -- --port 1884 --PublishFilter:SubscribeOnlyUsers:0=viewer
var builder = StarlingHost.CreateBuilder(args);
builder.Services.AddStarling(builder.Configuration);
builder.Services.Configure<PublishFilterOptions>(builder.Configuration.GetSection(PublishFilterOptions.Section));
builder.Services.AddStarlingHook<PublishFilterHook>();
await builder.Build().RunAsync().ConfigureAwait(false);
