using System.CommandLine;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Text;
using Starling.Cli.Transport;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Cli;

/// <summary>The connection options pub and sub share (in the spirit of mosquitto_pub/mosquitto_sub).</summary>
internal sealed class ConnectionOptions
{
    private readonly string _role;

    public ConnectionOptions(string role)
    {
        _role = role;
    }

    public Option<string> Host { get; } = new("--host", "-h") { Description = "Broker host name or address.", DefaultValueFactory = _ => "localhost" };

    public Option<int?> Port { get; } = new Option<int?>("--port", "-p") { Description = "Broker port (default 1883, or 8883 with TLS)." }.InRange(1, 65535);

    public Option<MqttProtocolVersion?> Version { get; } = OptionParsers.ProtocolVersion();

    public Option<string?> ClientId { get; } = new("--id", "-i") { Description = "Client identifier (default: starling-<command>-<random>)." };

    public Option<string?> Username { get; } = new("--username", "-u") { Description = "User name." };

    public Option<string?> Password { get; } = new("--password", "-P") { Description = "Password (UTF-8)." };

    public Option<int> KeepAlive { get; } = new Option<int>("--keepalive", "-k") { HelpName = "SECONDS", Description = "Keep alive in seconds, 0 to disable.", DefaultValueFactory = _ => 60 }.InRange(0, 65535);

    public Option<bool> NoClean { get; } = new("--no-clean", "-c") { Description = "Disable clean session (3.x) / clean start (5): resume the session kept for this client id. Needs --id." };

    public Option<uint?> SessionExpiry { get; } = new("--session-expiry", "-x") { Description = "MQTT 5: session expiry interval in seconds (4294967295 = never)." };

    public Option<int> ConnectTimeout { get; } = new Option<int>("--connect-timeout") { HelpName = "SECONDS", Description = "Seconds to wait for the connection and CONNACK.", DefaultValueFactory = _ => 10 }.InRange(1, 3600);

    public Option<string?> WillTopic { get; } = new("--will-topic") { HelpName = "TOPIC", Description = "Topic of the will message the broker publishes if this client disappears." };

    public Option<string?> WillPayload { get; } = new("--will-payload") { HelpName = "TEXT", Description = "Payload of the will message (default empty)." };

    public Option<MqttQualityOfService> WillQoS { get; } = new("--will-qos")
    {
        Description = "QoS of the will message.",
        HelpName = "0|1|2",
        CustomParser = result => OptionParsers.ParseQoS(result, result.Tokens[0].Value),
    };

    public Option<bool> WillRetain { get; } = new("--will-retain") { Description = "Retain the will message." };

    public Option<bool> Tls { get; } = new("--tls") { Description = "Connect with TLS (implied by --cafile, --cert and --insecure)." };

    public Option<FileInfo?> CaFile { get; } = new("--cafile") { HelpName = "FILE", Description = "PEM file of the certificate authorities to trust instead of the system's." };

    public Option<FileInfo?> CertFile { get; } = new("--cert") { HelpName = "FILE", Description = "PEM file of the client certificate (for TLS client authentication)." };

    public Option<FileInfo?> KeyFile { get; } = new("--key") { HelpName = "FILE", Description = "PEM file of the client certificate's private key (if not in --cert)." };

    public Option<bool> Insecure { get; } = new("--insecure") { Description = "Do not check the broker's certificate (testing only)." };

    public Option<Uri?> WebSocketUrl { get; } = new("--ws")
    {
        Description = "Connect over WebSocket to this URL (ws://host:port/path or wss://...), subprotocol mqtt; replaces --host and --port.",
        HelpName = "URL",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "ws" or "wss")
            {
                return url;
            }

            result.AddError($"--ws needs a ws:// or wss:// URL, not '{text}'.");
            return null;
        },
    };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Host, Port, Version, ClientId, Username, Password, KeepAlive, NoClean, SessionExpiry, ConnectTimeout, WillTopic, WillPayload, WillQoS, WillRetain, Tls, CaFile, CertFile, KeyFile, Insecure, WebSocketUrl })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            if (result.Value(NoClean) && string.IsNullOrEmpty(result.Value(ClientId)))
            {
                result.AddError("--no-clean needs a client id (--id): a session is kept per client id.");
            }

            if (result.Value(SessionExpiry) is not null && result.Value(Version) != MqttProtocolVersion.V500)
            {
                result.AddError("--session-expiry is an MQTT 5 property: add -V 5.");
            }

            if (result.Value(WillTopic) is null && (result.Value(WillPayload) is not null || result.GetResult(WillQoS) is not null || result.Value(WillRetain)))
            {
                result.AddError("--will-payload, --will-qos and --will-retain need --will-topic.");
            }

            if (result.Value(KeyFile) is not null && result.Value(CertFile) is null)
            {
                result.AddError("--key needs --cert.");
            }
        });
    }

    public TransportSettings GetTransport(ParseResult parse)
    {
        var tls = parse.GetValue(Tls) || parse.GetValue(CaFile) is not null || parse.GetValue(CertFile) is not null || parse.GetValue(Insecure);
        return new TransportSettings
        {
            Host = parse.GetValue(Host)!,
            Port = parse.GetValue(Port) ?? (tls ? 8883 : 1883),
            Tls = tls,
            CaFile = parse.GetValue(CaFile)?.FullName,
            CertFile = parse.GetValue(CertFile)?.FullName,
            KeyFile = parse.GetValue(KeyFile)?.FullName,
            Insecure = parse.GetValue(Insecure),
            WebSocketUrl = parse.GetValue(WebSocketUrl),
        };
    }

    public MqttClientOptions Create(ParseResult parse)
    {
        var transport = GetTransport(parse);
        var version = parse.GetValue(Version) ?? MqttProtocolVersion.V311;
        var options = new MqttClientOptions
        {
            Host = transport.Host,
            Port = transport.Port,
            ProtocolVersion = version,
            ClientId = parse.GetValue(ClientId) ?? $"starling-{_role}-{Random.Shared.Next():x8}",
            CleanSession = !parse.GetValue(NoClean),
            KeepAlive = TimeSpan.FromSeconds(parse.GetValue(KeepAlive)),
            Username = parse.GetValue(Username),
            Password = parse.GetValue(Password) is { } password ? (ReadOnlyMemory<byte>?)Encoding.UTF8.GetBytes(password) : null,
            SessionExpiryInterval = parse.GetValue(SessionExpiry),
            ConnectTimeout = TimeSpan.FromSeconds(parse.GetValue(ConnectTimeout)),
            StreamFactory = StreamFactories.Create(transport),
            UseMessageChannel = true,
        };
        if (parse.GetValue(WillTopic) is { } willTopic)
        {
            options.Will = new MqttWill
            {
                Topic = willTopic,
                Payload = Encoding.UTF8.GetBytes(parse.GetValue(WillPayload) ?? ""),
                QoS = parse.GetValue(WillQoS),
                Retain = parse.GetValue(WillRetain),
            };
        }

        return options;
    }

    /// <summary>Connects, turning failures into clear messages that name the broker.</summary>
    public async Task<MqttClient> ConnectAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var options = Create(parse);
        var endpoint = GetTransport(parse).Endpoint;
        var client = new MqttClient();
        try
        {
            await client.ConnectAsync(options, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            var cause = ex is MqttClientException { ReasonCode: null, InnerException: SocketException or AuthenticationException or WebSocketException } wrapped ? wrapped.InnerException! : ex;
            var (code, message) = CommandRunner.Describe(cause);
            if (cause is MqttClientException { ReasonCode: null })
            {
                message = $"the broker closed the connection before CONNACK ({ex.Message.TrimEnd('.')}).";
            }

            throw new CliException(code, code == ExitCodes.Refused ? $"{endpoint}: {message}" : $"cannot connect to {endpoint}: {message}", ex);
        }
    }
}
