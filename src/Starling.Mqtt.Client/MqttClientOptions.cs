using System.Net.Sockets;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

/// <summary>Everything <see cref="MqttClient.ConnectAsync"/> needs: where to connect and what to put in CONNECT.</summary>
public sealed class MqttClientOptions
{
    /// <summary>The largest remaining length MQTT can express plus the largest fixed header.</summary>
    public const uint ProtocolMaximumPacketSize = 268_435_455 + 5;

    /// <summary>The broker's host name or address. Ignored when <see cref="StreamFactory"/> is set.</summary>
    public string Host { get; set; } = "localhost";

    /// <summary>The broker's TCP port. Ignored when <see cref="StreamFactory"/> is set.</summary>
    public int Port { get; set; } = 1883;

    /// <summary>The protocol version to speak: 3.1.1 by default; 3.1 and 5.0 are supported too.</summary>
    public MqttProtocolVersion ProtocolVersion { get; set; } = MqttProtocolVersion.V311;

    /// <summary>The client identifier; empty asks the broker to assign one (3.1.1 requires clean session for that).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>Clean Session (3.1, 3.1.1) or Clean Start (5.0).</summary>
    public bool CleanSession { get; set; } = true;

    /// <summary>The keep alive interval, whole seconds up to 65535; zero disables keep alive. Default 60 s.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The user name, or null to send none.</summary>
    public string? Username { get; set; }

    /// <summary>The password, or null to send none.</summary>
    public ReadOnlyMemory<byte>? Password { get; set; }

    /// <summary>The will message the broker publishes when this client goes away without DISCONNECT.</summary>
    public MqttWill? Will { get; set; }

    /// <summary>5.0: Session Expiry Interval in seconds (null leaves it out, which means 0).</summary>
    public uint? SessionExpiryInterval { get; set; }

    /// <summary>5.0: Receive Maximum, how many QoS 1 and 2 publications this client processes at once.</summary>
    public ushort? ReceiveMaximum { get; set; }

    /// <summary>
    /// The largest packet this client accepts; the read loop refuses bigger ones, and in 5.0 it is sent as the
    /// Maximum Packet Size property. Null means the protocol maximum (and no property).
    /// </summary>
    public uint? MaximumPacketSize { get; set; }

    /// <summary>
    /// 5.0: further CONNECT properties (user properties, topic alias maximum, authentication, ...). They are
    /// copied; <see cref="SessionExpiryInterval"/>, <see cref="ReceiveMaximum"/> and
    /// <see cref="MaximumPacketSize"/> win over the same properties set here.
    /// </summary>
    public MqttProperties? ConnectProperties { get; set; }

    /// <summary>How long opening the stream and waiting for CONNACK may take together. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Opens the byte stream to the broker (TLS, WebSocket, in-memory pipes...). Null connects over TCP to
    /// <see cref="Host"/>:<see cref="Port"/> with Nagle disabled. The client owns and disposes the stream.
    /// </summary>
    public Func<CancellationToken, ValueTask<Stream>>? StreamFactory { get; set; }

    /// <summary>
    /// True (the default) acknowledges every incoming QoS 1 and 2 PUBLISH once it has been handed to the
    /// callback and the channel. False leaves that to <see cref="MqttClient.AckAsync"/>, which lets tests
    /// leave messages unacknowledged to check a broker's redelivery. PUBREL is always answered with PUBCOMP.
    /// </summary>
    public bool AutoAcknowledge { get; set; } = true;

    /// <summary>
    /// True (the default) queues every incoming PUBLISH for <see cref="MqttClient.ReadAsync"/> and
    /// <see cref="MqttClient.ReadAllAsync"/>. Set false when only <see cref="MqttClient.MessageReceived"/> is used,
    /// so unread messages do not pile up.
    /// </summary>
    public bool UseMessageChannel { get; set; } = true;

    /// <summary>Builds the CONNECT packet these options describe.</summary>
    public ConnectPacket CreateConnectPacket()
    {
        var keepAliveSeconds = KeepAlive.TotalSeconds;
        if (keepAliveSeconds is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(KeepAlive), KeepAlive, "Keep alive must be between 0 and 65535 seconds.");
        }

        var packet = new ConnectPacket
        {
            ProtocolVersion = ProtocolVersion,
            ClientId = ClientId,
            CleanSession = CleanSession,
            KeepAlive = (ushort)keepAliveSeconds,
            Username = Username,
            Password = Password,
            Will = Will,
        };

        if (ProtocolVersion == MqttProtocolVersion.V500)
        {
            var properties = ConnectProperties?.Clone() ?? new MqttProperties();
            properties.SessionExpiryInterval = SessionExpiryInterval ?? properties.SessionExpiryInterval;
            properties.ReceiveMaximum = ReceiveMaximum ?? properties.ReceiveMaximum;
            properties.MaximumPacketSize = MaximumPacketSize ?? properties.MaximumPacketSize;
            packet.Properties = properties;
        }

        return packet;
    }

    /// <summary>Opens the stream: <see cref="StreamFactory"/> when set, otherwise TCP to <see cref="Host"/>:<see cref="Port"/>.</summary>
    internal async ValueTask<Stream> OpenStreamAsync(CancellationToken cancellationToken)
    {
        if (StreamFactory is not null)
        {
            return await StreamFactory(cancellationToken).ConfigureAwait(false);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(Host, Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
