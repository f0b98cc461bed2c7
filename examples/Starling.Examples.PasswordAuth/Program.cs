using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Starling.Examples.PasswordAuth;
using Starling.Hosting;

// A broker that only lets in the users listed in configuration:
//   dotnet run --project examples/Starling.Examples.PasswordAuth -- --port 1884 --Auth:Users:alice=secret
var builder = StarlingHost.CreateBuilder(args);
builder.Services.AddStarling(builder.Configuration);
builder.Services.Configure<PasswordAuthOptions>(builder.Configuration.GetSection(PasswordAuthOptions.Section));
builder.Services.AddStarlingHook<PasswordAuthHook>();
await builder.Build().RunAsync().ConfigureAwait(false);
