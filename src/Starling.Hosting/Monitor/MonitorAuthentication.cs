using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Starling.Hosting.Monitor;

/// <summary>
/// Who may use the admin API, <c>/metrics</c> and the OpenAPI document: anyone on a loopback listener (unless
/// <see cref="MonitorOptions.RequireAuthentication"/>), elsewhere a request with an API key
/// (<see cref="MonitorOptions.ApiKeys"/>) or HTTP Basic credentials of the broker's password file. The monitor's
/// page itself holds no data and is served to anyone. A refusal is 401 (403 when the credentials are right but the
/// user is not among <see cref="MonitorOptions.Users"/>) and is logged.
/// </summary>
internal sealed partial class MonitorAuthentication(MonitorOptions options, Func<Security.PasswordFile?> passwords, ILogger logger)
{
    /// <summary>A request the monitor's own page makes sends this, so a 401 shows the page's banner, not the browser's login box.</summary>
    public const string PageHeader = "X-Starling-Monitor";

    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);

    /// <summary>Password checks passed recently (user and a hash of the password): a PBKDF2 check per request would cost too much.</summary>
    private readonly ConcurrentDictionary<(string User, string PasswordHash), long> _verified = new();

    public static bool IsProtected(PathString path) =>
        path.StartsWithSegments("/api", StringComparison.Ordinal) || path.StartsWithSegments("/metrics", StringComparison.Ordinal) || path.StartsWithSegments("/openapi", StringComparison.Ordinal);

    public Task InvokeAsync(HttpContext context, RequestDelegate next) => InvokeAsync(context, context.Request.Path, next);

    /// <summary>The check, for a request whose path below the monitor's root is <paramref name="path"/> (an app may map the monitor under a prefix).</summary>
    public async Task InvokeAsync(HttpContext context, PathString path, RequestDelegate next)
    {
        if (!IsProtected(path) || !Required(context))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        switch (Check(context.Request))
        {
            case Outcome.Allowed:
                await next(context).ConfigureAwait(false);
                return;
            case Outcome.Forbidden:
                Refused(logger, context.Connection.RemoteIpAddress, context.Request.Path, 403);
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            default:
                Refused(logger, context.Connection.RemoteIpAddress, context.Request.Path, 401);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                if (!context.Request.Headers.ContainsKey(PageHeader))
                {
                    context.Response.Headers.WWWAuthenticate = "Basic realm=\"Starling\", charset=\"UTF-8\"";
                }

                return;
        }
    }

    private bool Required(HttpContext context)
    {
        if (options.RequireAuthentication)
        {
            return true;
        }

        if (context.Features.Get<KestrelListener>() is { } listener)
        {
            return !IPAddress.IsLoopback(listener.Definition.EndPoint.Address);
        }

        // On a host app's Kestrel (MapStarlingMonitor) the listener is the app's: a request is local when it came over
        // loopback, from a loopback address.
        var (local, remote) = (context.Connection.LocalIpAddress, context.Connection.RemoteIpAddress);
        return local is null || remote is null || !IPAddress.IsLoopback(local) || !IPAddress.IsLoopback(remote);
    }

    private Outcome Check(HttpRequest request)
    {
        string? key = request.Headers["X-Api-Key"].FirstOrDefault();
        string? authorization = request.Headers.Authorization.FirstOrDefault();
        if (key is null && authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }

        if (key is not null)
        {
            return options.ApiKeys.Any(k => k.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(k), Encoding.UTF8.GetBytes(key))) ? Outcome.Allowed : Outcome.Refused;
        }

        if (authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase) && Basic(authorization["Basic ".Length..].Trim()) is { } user)
        {
            return options.Users.Count == 0 || options.Users.Contains(user, StringComparer.Ordinal) ? Outcome.Allowed : Outcome.Forbidden;
        }

        return Outcome.Refused;
    }

    /// <summary>The user of valid Basic credentials, else null.</summary>
    private string? Basic(string encoded)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
        }
        catch (FormatException)
        {
            return null;
        }

        int colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || passwords() is not { } file || file.GetHash(decoded[..colon]) is not { } hash)
        {
            return null;
        }

        string user = decoded[..colon];
        string password = decoded[(colon + 1)..];
        var cacheKey = (user, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(hash + "\n" + password))));
        if (_verified.TryGetValue(cacheKey, out long until) && Environment.TickCount64 < until)
        {
            return user;
        }

        if (!Security.PasswordHasher.Verify(hash, password))
        {
            return null;
        }

        _verified[cacheKey] = Environment.TickCount64 + (long)CacheFor.TotalMilliseconds;
        return user;
    }

    private enum Outcome
    {
        Refused,
        Forbidden,
        Allowed,
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Monitor request refused ({Status}) from {Remote}: {Path}")]
    private static partial void Refused(ILogger logger, IPAddress? remote, PathString path, int status);
}
