using StackExchange.Redis;

namespace Starling.Storage.Redis;

/// <summary>
/// The connection to the Redis that holds the broker's state. Opening fails at once, naming the server, when it
/// cannot be reached: a broker must not start with a silently empty state.
/// </summary>
public sealed class RedisDatabase : IDisposable
{
    private readonly ConnectionMultiplexer _connection;

    public RedisDatabase(RedisStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var configuration = ConfigurationOptions.Parse(options.Configuration);
        configuration.AbortOnConnectFail = true;
        Server = string.Join(",", configuration.EndPoints.Select(e => e.ToString()));
        try
        {
            _connection = ConnectionMultiplexer.Connect(configuration);
        }
        catch (RedisConnectionException ex)
        {
            throw new InvalidOperationException($"The Redis store at {Server} cannot be reached: {ex.Message}", ex);
        }

        Keys = new RedisKeys(options.KeyPrefix);
    }

    /// <summary>The server's endpoints, as messages name them.</summary>
    public string Server { get; }

    internal RedisKeys Keys { get; }

    internal IDatabase Database => _connection.GetDatabase();

    public void Dispose() => _connection.Dispose();
}
