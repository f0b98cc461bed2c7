using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
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
        ["--config"] = "Starling:ConfigFile",
        ["-c"] = "Starling:ConfigFile",
    };

    /// <summary>
    /// A host builder with the standard configuration sources (appsettings.json, environment variables such as
    /// STARLING__PORT, the command line) plus mosquitto-style switches: <c>--port N</c> / <c>-p N</c>,
    /// <c>--bind ADDRESS</c>, and <c>--config FILE</c> / <c>-c FILE</c>: a JSON file read after appsettings.json,
    /// before environment variables and the command line.
    /// </summary>
    public static HostApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        if (builder.Configuration["Starling:ConfigFile"] is { Length: > 0 } file)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--config: the configuration file '{path}' does not exist.", path);
            }

            var source = new JsonConfigurationSource { Path = path, Optional = false, ReloadOnChange = false };
            source.ResolveFileProvider();
            var sources = ((IConfigurationBuilder)builder.Configuration).Sources;
            int index = sources.Select((s, i) => (s, i)).FirstOrDefault(x => x.s is EnvironmentVariablesConfigurationSource, (null!, sources.Count)).i;
            sources.Insert(index, source);
        }

        return builder;
    }
}
