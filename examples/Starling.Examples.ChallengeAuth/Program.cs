using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Examples.ChallengeAuth;
using Starling.Hosting;

// A broker that authenticates MQTT 5.0 clients with the STARLING-HMAC-SHA256 challenge-response method:
//   dotnet run --project examples/Starling.Examples.ChallengeAuth -- --port 1884 --ChallengeAuth:Users:alice=secret
var builder = StarlingHost.CreateBuilder(args);
builder.Services.AddStarling(builder.Configuration);
builder.Services.Configure<ChallengeAuthOptions>(builder.Configuration.GetSection(ChallengeAuthOptions.Section));
builder.Services.AddStarlingHook<ChallengeAuthHook>();
await builder.Build().RunAsync().ConfigureAwait(false);
