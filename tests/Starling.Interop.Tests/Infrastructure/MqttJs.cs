using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace Starling.Interop.Tests.Infrastructure;

/// <summary>
/// One MQTT.js client (npm package "mqtt", pinned in tests/js/package.json), driven through tests/js/mqttjs-driver.mjs.
/// All clients share one Node process (started on first use, again if it died); each command names its client.
/// </summary>
public sealed class MqttJs : IAsyncDisposable
{
    private static int _nextName;
    private readonly Channel<MqttJsMessage> _messages = Channel.CreateUnbounded<MqttJsMessage>();
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly MqttJsDriver _driver;

    private MqttJs()
    {
        Name = "c" + Interlocked.Increment(ref _nextName).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _driver = MqttJsDriver.Shared;
        _driver.Register(this);
    }

    /// <summary>The name of this client in the driver.</summary>
    public string Name { get; }

    /// <summary>The reply to the connect command: CONNACK's session present flag, reason code (return code in 3.1.1) and properties.</summary>
    public JsonElement Connack { get; private set; }

    /// <summary>What the driver process wrote on stderr so far (for failure messages).</summary>
    public string Stderr => _driver.Stderr;

    /// <summary>A client not connected yet: use <see cref="ConnectReplyAsync"/>.</summary>
    public static MqttJs Create() => new();

    /// <summary>Connects a new client to <paramref name="broker"/>, failing unless CONNACK accepts it; <paramref name="options"/> are extra MQTT.js options (anonymous object, MQTT.js names).</summary>
    public static async Task<MqttJs> ConnectAsync(BrokerFixture broker, int protocolVersion, string? clientId, object? options = null)
    {
        var client = Create();
        try
        {
            var reply = await client.ConnectReplyAsync(broker, protocolVersion, clientId, options);
            if (!reply.GetProperty("ok").GetBoolean())
            {
                throw new MqttJsException(reply, $"MQTT.js connect failed: {reply.GetRawText()}; stderr: {client.Stderr}");
            }

            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>Connects and returns the driver's reply, accepted or not (ok, reasonCode, sessionPresent, properties).</summary>
    public async Task<JsonElement> ConnectReplyAsync(BrokerFixture broker, int protocolVersion, string? clientId, object? options = null)
    {
        var connectOptions = Node(options ?? new { }).AsObject();
        connectOptions["protocolVersion"] = protocolVersion;
        if (clientId is not null)
        {
            connectOptions["clientId"] = clientId;
        }

        connectOptions.TryAdd("clean", true);
        connectOptions.TryAdd("connectTimeout", 5000);
        Connack = await RequestAsync(new JsonObject { ["op"] = "connect", ["url"] = $"mqtt://{broker.Host}:{broker.Port}", ["options"] = connectOptions });
        return Connack;
    }

    /// <summary>Subscribes; returns SUBACK's reason codes (granted QoS).</summary>
    public async Task<int[]> SubscribeAsync(string filter, object? options = null)
    {
        var reply = await RequestOkAsync(new JsonObject { ["op"] = "subscribe", ["topic"] = filter, ["options"] = Node(options ?? new { qos = 0 }) });
        return reply.GetProperty("granted").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }

    public Task<JsonElement> UnsubscribeAsync(string filter, object? options = null) =>
        RequestOkAsync(new JsonObject { ["op"] = "unsubscribe", ["topic"] = filter, ["options"] = Node(options ?? new { }) });

    /// <summary>Publishes a UTF-8 payload and waits for MQTT.js's callback (after PUBACK / PUBCOMP for QoS 1 / 2).</summary>
    public Task<JsonElement> PublishAsync(string topic, string payload, object? options = null) =>
        RequestOkAsync(new JsonObject { ["op"] = "publish", ["topic"] = topic, ["payload"] = payload, ["options"] = Node(options ?? new { qos = 0 }) });

    /// <summary>Sends DISCONNECT (unless <paramref name="force"/>) and forgets the client in the driver.</summary>
    public Task<JsonElement> EndAsync(bool force = false) => RequestOkAsync(new JsonObject { ["op"] = "end", ["force"] = force });

    /// <summary>Sends a command for this client and returns its reply, whatever its "ok".</summary>
    public Task<JsonElement> RequestAsync(JsonObject command, TimeSpan? timeout = null)
    {
        command["client"] = Name;
        return _driver.RequestAsync(command, timeout ?? TimeSpan.FromSeconds(10));
    }

    /// <summary>Sends a command and returns its reply, throwing when the reply is not ok.</summary>
    public async Task<JsonElement> RequestOkAsync(JsonObject command, TimeSpan? timeout = null)
    {
        var reply = await RequestAsync(command, timeout);
        if (!reply.GetProperty("ok").GetBoolean())
        {
            throw new MqttJsException(reply, $"MQTT.js {command["op"]} failed: {reply.GetRawText()}; stderr: {Stderr}");
        }

        return reply;
    }

    /// <summary>The next message received, or null when none arrives within <paramref name="timeout"/>.</summary>
    public async Task<MqttJsMessage?> NextMessageAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _messages.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>The next message received within 5 s, else an exception.</summary>
    public async Task<MqttJsMessage> NextMessageAsync() =>
        await NextMessageAsync(TimeSpan.FromSeconds(5)) ?? throw new TimeoutException($"MQTT.js: no message within 5 s; stderr: {Stderr}");

    /// <summary>The next event other than a message (disconnect, close, error), or null on timeout.</summary>
    public async Task<JsonElement?> NextEventAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RequestAsync(new JsonObject { ["op"] = "end" }, TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is TimeoutException or IOException)
        {
            // the driver is gone or stuck; nothing more to end
        }

        _driver.Unregister(this);
        Complete();
    }

    internal void OnEvent(JsonElement element)
    {
        if (element.GetProperty("event").GetString() == "message")
        {
            _messages.Writer.TryWrite(new MqttJsMessage(element));
        }
        else
        {
            _events.Writer.TryWrite(element);
        }
    }

    internal void Complete()
    {
        _messages.Writer.TryComplete();
        _events.Writer.TryComplete();
    }

    private static JsonNode Node(object value) => JsonSerializer.SerializeToNode(value, MqttJsDriver.Json)!;
}

/// <summary>The Node process running tests/js/mqttjs-driver.mjs, shared by all <see cref="MqttJs"/> clients; it exits when its stdin closes.</summary>
internal sealed class MqttJsDriver
{
    internal static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    private static readonly Lock Gate = new();
    private static MqttJsDriver? _shared;

    private readonly Process _process;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<string, MqttJs> _clients = new();
    private readonly StringBuilder _stderr = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile bool _exited;
    private int _nextId;

    private MqttJsDriver()
    {
        var info = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardInputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add(Path.Combine("tests", "js", "mqttjs-driver.mjs"));
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start node");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
        _ = Task.Run(ReadLoopAsync);
    }

    /// <summary>The repository root: the first directory upwards holding Starling.sln.</summary>
    public static string RepositoryRoot => Repository.Root;

    public static MqttJsDriver Shared
    {
        get
        {
            lock (Gate)
            {
                if (_shared is null || _shared._exited)
                {
                    _shared = new MqttJsDriver();
                }

                return _shared;
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public void Register(MqttJs client) => _clients[client.Name] = client;

    public void Unregister(MqttJs client) => _clients.TryRemove(client.Name, out _);

    public async Task<JsonElement> RequestAsync(JsonObject command, TimeSpan timeout)
    {
        if (_exited)
        {
            throw new IOException($"MQTT.js driver has exited; stderr: {Stderr}");
        }

        int id = Interlocked.Increment(ref _nextId);
        command["id"] = id;
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        await _writeLock.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync(command.ToJsonString());
            await _process.StandardInput.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }

        try
        {
            return await reply.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            _pending.TryRemove(id, out _);
            throw new TimeoutException($"MQTT.js driver: no reply within {timeout.TotalSeconds} s to {command.ToJsonString()}; stderr: {Stderr}");
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    continue;
                }

                JsonElement element;
                try
                {
                    element = JsonDocument.Parse(line).RootElement;
                }
                catch (JsonException)
                {
                    lock (_stderr)
                    {
                        _stderr.AppendLine("stdout (not JSON): " + line);
                    }

                    continue;
                }

                if (element.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number)
                {
                    if (_pending.TryRemove(id.GetInt32(), out var reply))
                    {
                        reply.TrySetResult(element);
                    }
                }
                else if (element.TryGetProperty("client", out var name) && _clients.TryGetValue(name.GetString() ?? "", out var client))
                {
                    client.OnEvent(element);
                }

                // else: an event (such as "close") of a client already disposed
            }
        }
        finally
        {
            _exited = true;
            foreach (var pending in _pending.Values)
            {
                pending.TrySetException(new IOException($"MQTT.js driver exited; stderr: {Stderr}"));
            }

            foreach (var client in _clients.Values)
            {
                client.Complete();
            }
        }
    }

}

/// <summary>A PUBLISH received by MQTT.js, as the driver reported it.</summary>
public sealed class MqttJsMessage(JsonElement element)
{
    public JsonElement Raw { get; } = element;

    public string Topic => Raw.GetProperty("topic").GetString()!;

    public byte[] Payload => Convert.FromBase64String(Raw.GetProperty("payload").GetString()!);

    public string Text => Encoding.UTF8.GetString(Payload);

    public int QoS => Raw.GetProperty("qos").GetInt32();

    public bool Retain => Raw.GetProperty("retain").GetBoolean();

    public bool Dup => Raw.GetProperty("dup").GetBoolean();

    /// <summary>The MQTT 5.0 properties, or null when the packet had none (always so in 3.1.1).</summary>
    public JsonElement? Properties =>
        Raw.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : null;

    /// <summary>A property by its MQTT.js name, or null.</summary>
    public JsonElement? Property(string name) =>
        Properties is { } p && p.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>Subscription identifiers (MQTT.js gives a number for one, an array for several).</summary>
    public int[] SubscriptionIdentifiers => Property("subscriptionIdentifier") switch
    {
        null => [],
        { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Select(e => e.GetInt32()).ToArray(),
        { } single => [single.GetInt32()],
    };

    /// <summary>User properties in the order MQTT.js reports them (it groups repeated names into arrays).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> UserProperties
    {
        get
        {
            var result = new List<KeyValuePair<string, string>>();
            if (Property("userProperties") is { } user)
            {
                foreach (var entry in user.EnumerateObject())
                {
                    if (entry.Value.ValueKind == JsonValueKind.Array)
                    {
                        result.AddRange(entry.Value.EnumerateArray().Select(v => KeyValuePair.Create(entry.Name, v.GetString()!)));
                    }
                    else
                    {
                        result.Add(KeyValuePair.Create(entry.Name, entry.Value.GetString()!));
                    }
                }
            }

            return result;
        }
    }

    public override string ToString() => Raw.GetRawText();
}

/// <summary>A command the MQTT.js driver answered with ok=false.</summary>
public sealed class MqttJsException(JsonElement reply, string message) : Exception(message)
{
    public JsonElement Reply { get; } = reply;
}
