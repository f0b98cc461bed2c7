using System.Buffers;
using Starling.Broker.Diagnostics;
using Starling.Broker.Hooks;
using Starling.Broker.Sessions;
using Starling.Broker.Transport;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Connections;

/// <summary>
/// One client's network connection as the engine sees it: bytes in through <see cref="ReceiveAsync"/>,
/// packets out through a send buffer the transport drains. It never touches a socket. The packet
/// handlers live in the partial files beside this one, one per packet type.
/// </summary>
public sealed partial class MqttConnection : IConnectionEngine
{
    private const int StateAwaitingConnect = 0;
    private const int StateConnected = 1;
    private const int StateClosing = 2;
    private const int StateClosed = 3;

    private readonly BrokerContext _broker;
    private readonly IConnectionTransport _transport;
    private volatile int _state;
    private int _cleanedUp;
    private MqttProtocolVersion _version;
    private Session? _session;
    private MqttClientInfo? _client;
    private MqttWill? _will;
    private bool _publishWill;
    private ConnectionTimeouts _timeouts = ConnectionTimeouts.StartingAt(Environment.TickCount64);
    private CloseReason _closeReason = CloseReason.ConnectionLost;

    internal MqttConnection(BrokerContext broker, IConnectionTransport transport)
    {
        _broker = broker;
        _transport = transport;
        _output = new ConnectionOutput(transport, this, broker.Options, broker.Metrics);
    }

    /// <summary>The client, once its CONNECT was accepted.</summary>
    public MqttClientInfo? Client => _client;

    /// <summary>The protocol version, once CONNECT was read.</summary>
    public MqttProtocolVersion ProtocolVersion => _version;

    /// <summary>Whether CONNECT was accepted and the connection is not closing.</summary>
    public bool IsConnected => _state == StateConnected;

    /// <summary>
    /// Feeds received bytes. Whole packets are handled in order; the return value is how many bytes were
    /// consumed, and the transport keeps the rest (a partial packet) for the next call. The declared length
    /// of a packet is checked against the maximum packet size as soon as its fixed header is in, before
    /// the transport is asked to buffer more.
    /// </summary>
    public async ValueTask<long> ReceiveAsync(ReadOnlySequence<byte> data)
    {
        long consumed = 0;
        _output.BeginReceive();
        try
        {
            while (_state < StateClosing)
            {
                if (!MqttPacketReader.TryReadFixedHeader(data, (uint)_broker.Options.MaximumPacketSize, out var header) || data.Length < header.PacketLength)
                {
                    break;
                }

                _timeouts.PacketReceived(Environment.TickCount64);
                var handling = HandlePacketAsync(header, data.Slice(header.HeaderLength, header.RemainingLength));
                if (handling.IsCompleted)
                {
                    handling.GetAwaiter().GetResult();
                }
                else
                {
                    // A hook or a pause suspends us: what is already answered goes now, and flushes asked for while we
                    // wait take the usual way (this thread goes on to other work meanwhile).
                    _output.EndReceive();
                    await handling.ConfigureAwait(false);
                    _output.BeginReceive();
                }

                data = data.Slice(header.PacketLength);
                consumed += header.PacketLength;
            }
        }
        catch (MqttProtocolException ex)
        {
            if (_state == StateAwaitingConnect && _version == MqttProtocolVersion.Unknown && ex.ReasonCode == MqttReasonCode.PacketTooLarge && IsVersion5Connect(data))
            {
                // A CONNECT too large to read, whose first bytes say 5.0: it is refused with CONNACK 0x95 [MQTT-3.1.4-1].
                _version = MqttProtocolVersion.V500;
            }

            OnProtocolViolation(ex);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BrokerLog.ConnectionFailed(_broker.Logger, ex, _transport.RemoteEndPoint);
            CloseConnection(CloseReason.ProtocolError);
        }
        finally
        {
            _output.EndReceive();
        }

        // Once closing, nothing more is read: everything received counts as consumed.
        long result = _state >= StateClosing ? consumed + data.Length : consumed;
        _broker.Metrics.BytesRead(result);
        return result;
    }

    /// <summary>
    /// The transport reports that the network connection has closed. Ends the connection's use of its
    /// session, publishes the will when the close was not a normal DISCONNECT [MQTT-3.1.2-8], and runs
    /// the OnClose hooks. Runs once, whichever side closed.
    /// </summary>
    public async ValueTask TransportClosedAsync()
    {
        if (Interlocked.Exchange(ref _cleanedUp, 1) == 1)
        {
            return;
        }

        _state = StateClosed;
        _output.Discard();
        try
        {
            if (_session is { } session)
            {
                // A leaving member of a shared group hands its QoS 1/2 messages to another member first.
                var shared = _closeReason == CloseReason.TakenOver ? null : session.TakeSharedMessages();
                var outcome = _broker.Sessions.Detach(session, this);
                if (shared is not null)
                {
                    _broker.Router.Redistribute(session, shared);
                }

                if (_publishWill && _will is { } will)
                {
                    PublishWill(session, will, outcome);
                }

                BrokerLog.ClientDisconnected(_broker.Logger, _client?.ClientId, _closeReason.ToString());
            }

            if (_broker.Hooks.HasClose)
            {
                await _broker.Hooks.CloseAsync(new CloseContext(_client, _closeReason, _transport.RemoteEndPoint), _broker.Stopping.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            _broker.ConnectionClosed(this);
        }
    }

    /// <summary>
    /// The sweep, about once a second: closes a connection whose deadline passed (<see cref="ConnectionTimeouts"/>): a
    /// socket that takes nothing, no CONNECT in time, or nothing received within 1.5 keep-alive intervals [MQTT-3.1.2-24].
    /// </summary>
    internal void CheckTimeouts(long now)
    {
        _output.Trim(); // once a second, as the sweep calls this: an idle connection gives its send array back
        int state = _state;
        switch (_timeouts.Expired(now, state == StateAwaitingConnect, state == StateConnected, _output.SendingSince, _broker.Options))
        {
            case ConnectionTimeout.Send:
                // The socket has stayed unwritable too long: a client that stopped reading. Nothing more can reach it.
                _broker.Metrics.LimitHit(nameof(BrokerOptions.SendTimeoutSeconds));
                CloseConnection(CloseReason.Timeout);
                _transport.Close();
                break;
            case ConnectionTimeout.Connect:
                CloseConnection(CloseReason.Timeout);
                break;
            case ConnectionTimeout.KeepAlive:
                WriteDisconnectIfV5(MqttReasonCode.KeepAliveTimeout);
                CloseConnection(CloseReason.Timeout);
                break;
        }
    }

    /// <summary>Another connection took this one's session [MQTT-3.1.4-2]: 5.0 clients are told so (0x8E).</summary>
    internal void TakeOver()
    {
        WriteDisconnectIfV5(MqttReasonCode.SessionTakenOver);
        CloseConnection(CloseReason.TakenOver);
    }

    /// <summary>Another broker of the cluster owns this session now and published the will already: closed as taken over, without it.</summary>
    internal void Fence()
    {
        _publishWill = false;
        TakeOver();
    }

    /// <summary>The broker is stopping: 5.0 clients get DISCONNECT 0x8B; no will is published for a shutdown.</summary>
    internal void Shutdown()
    {
        _publishWill = false;
        WriteDisconnectIfV5(MqttReasonCode.ServerShuttingDown);
        CloseConnection(CloseReason.ServerShutdown);
    }

    private ValueTask HandlePacketAsync(in MqttFixedHeader header, in ReadOnlySequence<byte> body)
    {
        if (header.Type != MqttPacketType.Publish)
        {
            ObservePacket(incoming: true, header.Type, header.PacketLength);
        }

        if (_state == StateAwaitingConnect)
        {
            if (_authentication is not null && header.Type == MqttPacketType.Auth)
            {
                return HandleAuthAsync((AuthPacket)MqttPacketReader.Read(header, body, _version));
            }

            if (header.Type != MqttPacketType.Connect || _version != MqttProtocolVersion.Unknown)
            {
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.1.0-1", "The first packet must be CONNECT.");
            }

            ConnectPacket connect;
            try
            {
                connect = (ConnectPacket)MqttPacketReader.Read(header, body, MqttProtocolVersion.Unknown);
            }
            catch (MqttProtocolException) when (DeclaresVersion5(body))
            {
                // A 5.0 CONNECT that does not decode: answer in 5.0 so the CONNACK can carry the reason [MQTT-3.1.4-1].
                _version = MqttProtocolVersion.V500;
                throw;
            }

            return HandleConnectAsync(connect);
        }

        if (header.Type == MqttPacketType.Publish)
        {
            return HandlePublishAsync(header, body);
        }

        var packet = MqttPacketReader.Read(header, body, _version);
        switch (packet)
        {
            case PubAckPacket ack:
                HandlePubAck(ack);
                break;
            case PubRecPacket rec:
                HandlePubRec(rec);
                break;
            case PubRelPacket rel:
                HandlePubRel(rel);
                break;
            case PubCompPacket comp:
                HandlePubComp(comp);
                break;
            case SubscribePacket subscribe:
                return HandleSubscribeAsync(subscribe);
            case UnsubscribePacket unsubscribe:
                HandleUnsubscribe(unsubscribe);
                break;
            case PingReqPacket:
                WritePacket(PingRespPacket.Instance); // [MQTT-3.12.4-1]
                break;
            case DisconnectPacket disconnect:
                HandleDisconnect(disconnect);
                break;
            case AuthPacket auth:
                return HandleAuthAsync(auth);
            case ConnectPacket:
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-3.1.0-2", "A second CONNECT is a protocol violation.");
            default:
                // CONNACK, SUBACK, UNSUBACK, PINGRESP and (without enhanced authentication) AUTH never come from a client.
                throw new MqttProtocolException(MqttReasonCode.ProtocolError, "MQTT-4.8.0-1", $"A client must not send {packet.Type}.");
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Whether <paramref name="data"/> starts with a CONNECT fixed header followed by the start of a 5.0 CONNECT body.</summary>
    private static bool IsVersion5Connect(in ReadOnlySequence<byte> data)
    {
        Span<byte> start = stackalloc byte[5];
        int length = (int)Math.Min(data.Length, start.Length);
        data.Slice(0, length).CopyTo(start);
        if (length < 2 || (MqttPacketType)(start[0] >> 4) != MqttPacketType.Connect)
        {
            return false;
        }

        int headerLength = 1;
        while (headerLength < length && headerLength <= 4 && (start[headerLength] & 0x80) != 0)
        {
            headerLength++;
        }

        return headerLength < length && DeclaresVersion5(data.Slice(headerLength + 1));
    }

    /// <summary>Whether a CONNECT body starts with protocol name "MQTT" and protocol level 5.</summary>
    private static bool DeclaresVersion5(in ReadOnlySequence<byte> body)
    {
        Span<byte> start = stackalloc byte[7];
        if (body.Length < start.Length)
        {
            return false;
        }

        body.Slice(0, start.Length).CopyTo(start);
        return start.SequenceEqual("\0\u0004MQTT\u0005"u8);
    }

    private void OnProtocolViolation(MqttProtocolException ex)
    {
        _broker.Metrics.ProtocolError();
        if (ex.ReasonCode == MqttReasonCode.PacketTooLarge)
        {
            _broker.Metrics.LimitHit(nameof(BrokerOptions.MaximumPacketSize));
        }

        BrokerLog.ProtocolViolation(_broker.Logger, _transport.RemoteEndPoint, ex.Message);
        if (_state == StateAwaitingConnect && ex.ReasonCode == MqttReasonCode.UnsupportedProtocolVersion)
        {
            // [MQTT-3.1.2-2] Unacceptable protocol level: CONNACK 0x01 (a 3.1.1 CONNACK, which every version reads), then close.
            WritePacket(new ConnAckPacket { ReasonCode = MqttReasonCode.UnsupportedProtocolVersion }, MqttProtocolVersion.V311);
        }
        else if (_state == StateAwaitingConnect && _version == MqttProtocolVersion.V500)
        {
            // A 5.0 CONNECT (or AUTH exchange) that breaks a rule: CONNACK with the reason, then close [MQTT-4.13.1-1].
            WritePacket(new ConnAckPacket { ReasonCode = IsConnAckReason(ex.ReasonCode) ? ex.ReasonCode : MqttReasonCode.MalformedPacket });
        }
        else if (_state == StateConnected)
        {
            WriteDisconnectIfV5(ex.ReasonCode);
        }

        CloseConnection(CloseReason.ProtocolError);
    }

    /// <summary>The 5.0 CONNACK reason codes of 0x80 and above (section 3.2.2.2); any other refusal is sent as 0x81.</summary>
    private static bool IsConnAckReason(MqttReasonCode code) => (byte)code is 0x80 or 0x81 or 0x82 or 0x84 or 0x85 or 0x86 or 0x87
        or 0x88 or 0x89 or 0x8A or 0x8C or 0x90 or 0x95 or 0x97 or 0x99 or 0x9A or 0x9B or 0x9C or 0x9D or 0x9F;
}
