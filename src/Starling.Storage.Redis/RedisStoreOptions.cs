namespace Starling.Storage.Redis;

/// <summary>Which Redis holds the broker's state, and under which keys (configuration section <c>Starling:Storage:Redis</c>).</summary>
public sealed class RedisStoreOptions
{
    /// <summary>A StackExchange.Redis configuration string: <c>host:port</c>, and options such as <c>password=</c>, <c>ssl=true</c>.</summary>
    public string Configuration { get; set; } = "127.0.0.1:6379";

    /// <summary>Prepended to every key, so brokers (or other applications) can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "starling:";
}
