namespace Starling.TestSupport;

/// <summary>
/// A real redis-server (Debian's, which scripts/test.sh installs) with the AOF synced before every reply
/// (appendfsync always): the setting under which an acknowledged write survives a crash.
/// </summary>
public sealed class RedisServer : LocalServer
{
    private RedisServer()
        : base("redis-server", "redis", (port, directory) => ["--port", Text(port), "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"])
    {
    }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => "127.0.0.1:" + Text(Port);

    public static RedisServer Start() => new();
}
