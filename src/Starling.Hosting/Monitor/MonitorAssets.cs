using System.Collections.Frozen;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Starling.Hosting.Monitor;

/// <summary>The monitor's front end (Monitor/wwwroot), embedded in the assembly and served from memory: <c>/</c> is index.html.</summary>
internal static class MonitorAssets
{
    private const string Prefix = "monitor/";

    private static readonly FrozenDictionary<string, (byte[] Content, string Type)> Files = Load();

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/{file}", (string file) => Serve(file)).ExcludeFromDescription(); // only the embedded names resolve
    }

    private static IResult Serve(string file) =>
        Files.TryGetValue(file, out var asset) ? Results.Bytes(asset.Content, asset.Type) : Results.NotFound();

    private static FrozenDictionary<string, (byte[] Content, string Type)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (string name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            string file = name[Prefix.Length..];
            files[file] = (memory.ToArray(), ContentType(file));
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentType(string file) => Path.GetExtension(file) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" or ".mjs" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".ico" => "image/x-icon",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };
}
