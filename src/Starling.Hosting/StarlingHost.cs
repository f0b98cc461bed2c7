using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Starling.Hosting;

/// <summary>Builds a host the way the starling server does, for the server itself, the examples and embedding apps.</summary>
public static class StarlingHost
{
    private static readonly Dictionary<string, string> SwitchMappings = new(StringComparer.Ordinal)
    {
        ["--port"] = "Starling:Port",
        ["-p"] = "Starling:Port",
        ["--bind"] = "Starling:BindAddress",
    };

    /// <summary>
    /// A host builder with the standard configuration sources (appsettings.json, environment variables such as
    /// STARLING__PORT, the command line) plus mosquitto-style switches: <c>--port N</c> / <c>-p N</c> and <c>--bind ADDRESS</c>.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        return builder;
    }
}
