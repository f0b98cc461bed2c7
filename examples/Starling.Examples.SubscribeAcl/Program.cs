using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Examples.SubscribeAcl;
using Starling.Hosting;

// A broker that caps subscriptions at QoS 1 (except for "root") and refuses the filters listed in configuration:
//   dotnet run --project examples/Starling.Examples.SubscribeAcl -- --port 1884 --Acl:DeniedFilters:0=secret/#
var builder = StarlingHost.CreateBuilder(args);
builder.Services.AddStarling(builder.Configuration);
builder.Services.Configure<SubscribeAclOptions>(builder.Configuration.GetSection(SubscribeAclOptions.Section));
builder.Services.AddStarlingHook<SubscribeAclHook>();
await builder.Build().RunAsync().ConfigureAwait(false);
