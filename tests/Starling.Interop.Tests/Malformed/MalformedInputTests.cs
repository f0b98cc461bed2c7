using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using static Starling.TestSupport.WireBytes;

namespace Starling.Interop.Tests.Malformed;

/// <summary>
/// A case per rule of the packet grammar, sent as hand-made bytes over a real socket to the running broker.
/// 3.1.1: the connection is closed with nothing sent. 5.0: a CONNACK (during CONNECT) or a DISCONNECT
/// carrying the reason the specification gives, then the close. After each, the broker still serves others.
/// </summary>
public sealed class MalformedInputTests(MalformedBroker fixture) : IClassFixture<MalformedBroker>
{
    private const MqttProtocolVersion V4 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V5 = MqttProtocolVersion.V500;
    private const byte Closed = 0;
    private const byte Malformed = (byte)MqttReasonCode.MalformedPacket;
    private const byte Protocol = (byte)MqttReasonCode.ProtocolError;
    private const byte TopicNameInvalid = (byte)MqttReasonCode.TopicNameInvalid;
    private const byte TopicAliasInvalid = (byte)MqttReasonCode.TopicAliasInvalid;
    private const byte TooLarge = (byte)MqttReasonCode.PacketTooLarge;

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly byte[] NullChar = [0x61, 0x00];      // "a", U+0000
    private static readonly byte[] Overlong = [0xC0, 0x80];      // overlong U+0000
    private static readonly byte[] Surrogate = [0xED, 0xA0, 0x80]; // U+D800

    // ---- CONNECT, the first packet: 3.1.1 closes without CONNACK. 5.0 [MQTT-4.13.1-1]: the connection MUST be
    // closed and a CONNACK with the reason MAY be sent first. The broker sends it for the rules it checks itself
    // on a decoded CONNECT; for a CONNECT the codec cannot decode, the version is not known yet and the broker
    // closes without CONNACK. The table pins that: Closed (0) means "closed, nothing sent". The reason the
    // specification gives is kept beside each row (Spec) for the day the broker answers those too.

    /// <summary>Name, CONNECT bytes for a version, and the reason code 5.0 gives this rule.</summary>
    private static IEnumerable<(string Name, Func<MqttProtocolVersion, byte[]> Bytes, byte V5)> ConnectRules()
    {
        yield return ("connect-reserved-flag (MQTT-3.1.2-3)", v => Connect(v, 0x03, Str("c")), Malformed);
        yield return ("connect-fixed-header-flags (MQTT-2.2.2-2)", v => [0x11, .. Connect(v, 0x02, Str("c"))[1..]], Malformed);
        yield return ("will-qos-3 (MQTT-3.1.2-14)", v => Connect(v, 0x1E, Str("c"), WillProps(v), Str("t"), Bin([1])), Malformed);
        yield return ("will-qos-without-will-flag (MQTT-3.1.2-13)", v => Connect(v, 0x0A, Str("c")), Malformed);
        yield return ("will-retain-without-will-flag (MQTT-3.1.2-15)", v => Connect(v, 0x22, Str("c")), Malformed);
        yield return ("client-id-invalid-utf8 (MQTT-1.5.3-1)", v => Connect(v, 0x02, Bin(Overlong)), Malformed);
        yield return ("client-id-surrogate (MQTT-1.5.3-1)", v => Connect(v, 0x02, Bin(Surrogate)), Malformed);
        yield return ("client-id-u0000 (MQTT-1.5.3-2)", v => Connect(v, 0x02, Bin(NullChar)), Malformed);
        yield return ("user-name-invalid-utf8 (MQTT-1.5.3-1)", v => Connect(v, 0x82, Str("c"), Bin(Surrogate)), Malformed);
        yield return ("user-name-u0000 (MQTT-1.5.3-2)", v => Connect(v, 0x82, Str("c"), Bin(NullChar)), Malformed);
        yield return ("will-topic-u0000 (MQTT-1.5.3-2)", v => Connect(v, 0x06, Str("c"), WillProps(v), Bin(NullChar), Bin([1])), Malformed);
        yield return ("user-name-flag-without-user-name", v => Connect(v, 0x82, Str("c")), Malformed);
        yield return ("string-length-past-packet", v => Connect(v, 0x02, [.. U16(10), 0x61]), Malformed);
        yield return ("trailing-bytes", v => Connect(v, 0x02, Str("c"), B(0)), Malformed);
    }

    private static byte[] WillProps(MqttProtocolVersion version) => version == V5 ? [0] : [];

    public static TheoryData<string, byte[]> V311Connect()
    {
        var data = new TheoryData<string, byte[]>();
        foreach (var (name, bytes, _) in ConnectRules())
        {
            data.Add(name, bytes(V4));
        }

        data.Add("will-topic-wildcard (MQTT-3.3.2-2; found by fuzzing)", Connect(V4, 0x26, Str("c"), Str("t/+"), Bin([1])));
        data.Add("password-without-user-name (MQTT-3.1.2-22)", Connect(V4, 0x42, Str("c"), Bin([1])));
        data.Add("bad-protocol-name (MQTT-3.1.2-1)", Packet(0x10, Str("HTTP"), B(4, 2), U16(60), Str("c")));
        data.Add("first-packet-not-connect (MQTT-3.1.0-1)", B(0xC0, 0x00));
        data.Add("first-packet-type-0", B(0x00, 0x00));
        data.Add("first-packet-type-15", B(0xF0, 0x00));
        data.Add("remaining-length-over-4-bytes", B(0x10, 0x80, 0x80, 0x80, 0x80, 0x01));
        data.Add("larger-than-maximum-packet-size", Packet(0x10, [.. ConnectHeader(V4, 0x02), .. Str("c"), .. new byte[MalformedBroker.MaximumPacketSize]]));
        return data;
    }

    /// <summary>Rows: rule, bytes, the reason 5.0 gives the rule, and what the broker sends (a CONNACK reason, or Closed).</summary>
    public static TheoryData<string, byte[], byte, byte> V500Connect()
    {
        var data = new TheoryData<string, byte[], byte, byte>();
        // A 5.0 CONNECT that does not decode gets a CONNACK with the rule's reason, then the close [MQTT-3.1.4-1].
        foreach (var (name, bytes, reason) in ConnectRules())
        {
            data.Add(name, bytes(V5), reason, reason);
        }

        data.Add("property-duplicated", Packet(0x10, ConnectHeader(V5, 0x02, Props(0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2)), Str("c")), Protocol, Protocol);
        data.Add("property-unknown-id", Packet(0x10, ConnectHeader(V5, 0x02, Props(0x05, 0)), Str("c")), Malformed, Malformed);
        data.Add("property-not-allowed (Topic Alias)", Packet(0x10, ConnectHeader(V5, 0x02, Props(0x23, 0, 1)), Str("c")), Malformed, Malformed);
        data.Add("will-property-not-allowed (Session Expiry)", Connect(V5, 0x06, Str("c"), Props(0x11, 0, 0, 0, 1), Str("t"), Bin([1])), Malformed, Malformed);
        data.Add("receive-maximum-0 (3.1.2.11.3)", Packet(0x10, ConnectHeader(V5, 0x02, Props(0x21, 0, 0)), Str("c")), Protocol, Protocol);
        data.Add("maximum-packet-size-0 (3.1.2.11.4)", Packet(0x10, ConnectHeader(V5, 0x02, Props(0x27, 0, 0, 0, 0)), Str("c")), Protocol, Protocol);
        data.Add("request-problem-information-2", Packet(0x10, ConnectHeader(V5, 0x02, Props(0x17, 2)), Str("c")), Protocol, Protocol);

        // Refused from the fixed header, before any of the body is buffered; the first bytes of the body that came with it
        // say 5.0, so the refusal is a CONNACK 0x95 [MQTT-3.1.4-1].
        data.Add("larger-than-maximum-packet-size", Packet(0x10, [.. ConnectHeader(V5, 0x02), .. Str("c"), .. new byte[MalformedBroker.MaximumPacketSize]]), TooLarge, TooLarge);

        // Checked by the broker on the decoded CONNECT: answered with CONNACK.
        data.Add("will-topic-wildcard (found by fuzzing)", Connect(V5, 0x26, Str("c"), [0], Str("t/#"), Bin([1])), TopicNameInvalid, TopicNameInvalid);
        data.Add("authentication-data-without-method", Packet(0x10, ConnectHeader(V5, 0x02, Props(0x16, 0, 1, 0x61)), Str("c")), Protocol, Protocol);
        return data;
    }

    [Theory]
    [MemberData(nameof(V311Connect))]
    public async Task V311_BadConnect_IsClosedWithoutConnAck(string rule, byte[] bytes)
    {
        await using (var bad = await RawClient.ConnectAsync(fixture.Port, V4))
        {
            await bad.SendRawAsync(bytes);
            Assert.True(await bad.ReceiveAsync(Wait) is null, rule);
        }

        await fixture.AssertStillServesAsync();
    }

    [Theory]
    [MemberData(nameof(V500Connect))]
    public async Task V500_BadConnect_IsClosed_WithConnAckWhereTheBrokerSendsOne(string rule, byte[] bytes, byte specReason, byte sent)
    {
        _ = specReason; // documents the rule's reason code; see the table
        await using (var bad = await RawClient.ConnectAsync(fixture.Port, V5))
        {
            await bad.SendRawAsync(bytes);
            var answer = await bad.ReceiveAsync(Wait);
            if (sent == Closed)
            {
                Assert.True(answer is null, $"{rule}: expected the close with nothing sent, got {answer?.Type}");
            }
            else
            {
                var connack = Assert.IsType<ConnAckPacket>(answer);
                Assert.True(sent == (byte)connack.ReasonCode, $"{rule}: CONNACK 0x{(byte)connack.ReasonCode:X2}, expected 0x{sent:X2}");
                Assert.True(await bad.WaitForCloseAsync(Wait), rule);
            }
        }

        await fixture.AssertStillServesAsync();
    }

    [Theory]
    [InlineData("MQTT", 6)]
    [InlineData("MQTT", 2)]
    [InlineData("MQIsdp", 4)]
    public async Task UnsupportedProtocolLevel_GetsConnAck0x01_ThenClosed(string name, byte level)
    {
        await using (var bad = await RawClient.ConnectAsync(fixture.Port, V4))
        {
            await bad.SendRawAsync(Packet(0x10, Str(name), B(level, 2), U16(60), Str("c")));
            var connack = Assert.IsType<ConnAckPacket>(await bad.ReceiveAsync(Wait));
            Assert.Equal(MqttReasonCode.UnsupportedProtocolVersion, connack.ReasonCode); // return code 0x01 on the wire
            Assert.True(await bad.WaitForCloseAsync(Wait));
        }

        await fixture.AssertStillServesAsync();
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task BadProtocolName_IsClosedWithoutConnAck(MqttProtocolVersion version)
    {
        await using (var bad = await RawClient.ConnectAsync(fixture.Port, version))
        {
            await bad.SendRawAsync(Packet(0x10, Str("MQTX"), B((byte)version, 2), U16(60), version == V5 ? [0] : [], Str("c")));
            Assert.Null(await bad.ReceiveAsync(Wait));
        }

        await fixture.AssertStillServesAsync();
    }

    // ---- After a successful CONNECT: 3.1.1 closes; 5.0 sends DISCONNECT with the reason, then closes ----

    /// <summary>Name, bytes for a version (sent after a valid CONNECT), and the 5.0 DISCONNECT reason code.</summary>
    private static IEnumerable<(string Name, Func<MqttProtocolVersion, byte[]> Bytes, byte V5)> PacketRules()
    {
        // Fixed header
        yield return ("remaining-length-over-4-bytes (1.5.5)", _ => B(0x30, 0x80, 0x80, 0x80, 0x80, 0x01), Malformed);
        yield return ("packet-type-0 (reserved)", _ => B(0x00, 0x00), Malformed);
        yield return ("length-past-packet (topic length 10 in a 3-byte body)", _ => Packet(0x30, U16(10), B(0x61)), Malformed);
        yield return ("length-past-packet (remaining length shorter than the packet id)", _ => Packet(0x40, B(0)), Malformed);
        yield return ("larger-than-maximum-packet-size (4.13)", v => Packet(0x30, Str("ok/big"), N(v), new byte[MalformedBroker.MaximumPacketSize]), TooLarge);
        yield return ("declared-larger-than-maximum, body never sent", _ => [0x30, .. Length(10_000_000)], TooLarge);

        // Reserved fixed-header flags on each packet type a client sends [MQTT-2.2.2-2]
        yield return ("flags PUBACK 0x41", v => Packet(0x41, U16(1), R(v)), Malformed);
        yield return ("flags PUBREC 0x58", v => Packet(0x58, U16(1), R(v)), Malformed);
        yield return ("flags PUBREL 0x60 (MQTT-3.6.1-1)", v => Packet(0x60, U16(1), R(v)), Malformed);
        yield return ("flags PUBCOMP 0x74", v => Packet(0x74, U16(1), R(v)), Malformed);
        yield return ("flags SUBSCRIBE 0x80 (MQTT-3.8.1-1)", v => Packet(0x80, U16(1), N(v), Str("a"), B(0)), Malformed);
        yield return ("flags UNSUBSCRIBE 0xA0 (MQTT-3.10.1-1)", v => Packet(0xA0, U16(1), N(v), Str("a")), Malformed);
        yield return ("flags PINGREQ 0xC1", _ => B(0xC1, 0x00), Malformed);
        yield return ("flags DISCONNECT 0xE8", _ => B(0xE8, 0x00), Malformed);

        // Variable byte integers in the fewest bytes [MQTT-1.5.5-1]
        yield return ("remaining-length-not-fewest-bytes PINGREQ c0 80 00 (MQTT-1.5.5-1)", _ => B(0xC0, 0x80, 0x00), Malformed);
        yield return ("remaining-length-not-fewest-bytes PUBLISH 30 84 00 (MQTT-1.5.5-1)", v => [0x30, (byte)(0x83 + N(v).Length), 0x00, .. Str("a"), .. N(v)], Malformed);

        // Packets a client never sends
        yield return ("second CONNECT (MQTT-3.1.0-2)", v => Connect(v, 0x02, Str("again")), Protocol);
        yield return ("CONNACK from a client", v => v == V5 ? B(0x20, 0x03, 0, 0, 0) : B(0x20, 0x02, 0, 0), Protocol);
        yield return ("SUBACK from a client", v => Packet(0x90, U16(1), N(v), B(0)), Protocol);
        yield return ("UNSUBACK from a client", v => Packet(0xB0, U16(1), N(v), v == V5 ? [0] : []), Protocol);
        yield return ("PINGRESP from a client", _ => B(0xD0, 0x00), Protocol);

        // PUBLISH
        yield return ("publish-qos-3 (MQTT-3.3.1-4)", v => Packet(0x36, Str("a"), U16(1), N(v)), Malformed);
        yield return ("publish-dup-on-qos-0 (MQTT-3.3.1-2)", v => Packet(0x38, Str("a"), N(v)), Malformed);
        yield return ("publish-packet-id-0 (MQTT-2.3.1-1)", v => Packet(0x32, Str("a"), U16(0), N(v)), Malformed);
        yield return ("publish-topic-wildcard + (MQTT-3.3.2-2)", v => Packet(0x30, Str("a/+"), N(v)), TopicNameInvalid);
        yield return ("publish-topic-wildcard # (MQTT-3.3.2-2)", v => Packet(0x30, Str("a/#"), N(v)), TopicNameInvalid);
        yield return ("publish-topic-invalid-utf8 (MQTT-1.5.3-1)", v => Packet(0x30, Bin(Overlong), N(v)), Malformed);
        yield return ("publish-topic-u0000 (MQTT-1.5.3-2)", v => Packet(0x30, Bin(NullChar), N(v)), Malformed);

        // SUBSCRIBE
        yield return ("subscribe-no-filters (MQTT-3.8.3-3)", v => Packet(0x82, U16(1), N(v)), Protocol);
        yield return ("subscribe-packet-id-0 (MQTT-2.3.1-1)", v => Packet(0x82, U16(0), N(v), Str("a"), B(0)), Malformed);
        yield return ("subscribe-qos-3 (MQTT-3.8.3-4; 5.0: 3.8.3.1 Protocol Error)", v => Packet(0x82, U16(1), N(v), Str("a"), B(3)), Protocol);
        yield return ("subscribe-reserved-option-bits (MQTT-3.8.3-5)", v => Packet(0x82, U16(1), N(v), Str("a"), B(v == V5 ? (byte)0xC0 : (byte)0x04)), Malformed);
        yield return ("subscribe-filter-invalid-utf8 (MQTT-1.5.3-1)", v => Packet(0x82, U16(1), N(v), Bin(Surrogate), B(0)), Malformed);
        yield return ("subscribe-filter-u0000 (MQTT-1.5.3-2)", v => Packet(0x82, U16(1), N(v), Bin(NullChar), B(0)), Malformed);
        yield return ("subscribe-options-missing", v => Packet(0x82, U16(1), N(v), Str("a")), Malformed);

        // UNSUBSCRIBE
        yield return ("unsubscribe-no-filters (MQTT-3.10.3-2)", v => Packet(0xA2, U16(1), N(v)), Protocol);
        yield return ("unsubscribe-filter-invalid-utf8 (MQTT-1.5.3-1)", v => Packet(0xA2, U16(1), N(v), Bin(Overlong)), Malformed);
    }

    /// <summary>An empty 5.0 property block, or nothing before 5.0.</summary>
    private static byte[] N(MqttProtocolVersion version) => version == V5 ? [0] : [];

    /// <summary>A 5.0 reason code and empty properties for an acknowledgement, or nothing before 5.0.</summary>
    private static byte[] R(MqttProtocolVersion version) => version == V5 ? [0, 0] : [];

    public static TheoryData<string, byte[]> V311Packets()
    {
        var data = new TheoryData<string, byte[]>();
        foreach (var (name, bytes, _) in PacketRules())
        {
            data.Add(name, bytes(V4));
        }

        data.Add("packet-type-15 (reserved in 3.1.1)", B(0xF0, 0x00));
        data.Add("publish-empty-topic (MQTT-4.7.3-1)", Packet(0x30, Str("")));
        return data;
    }

    public static TheoryData<string, byte[], byte> V500Packets()
    {
        var data = new TheoryData<string, byte[], byte>();
        foreach (var (name, bytes, reason) in PacketRules())
        {
            data.Add(name, bytes(V5), reason);
        }

        data.Add("property-duplicated", Packet(0x30, Str("a"), Props(0x01, 0, 0x01, 0)), Protocol);
        data.Add("property-unknown-id", Packet(0x30, Str("a"), Props(0x05, 0)), Malformed);
        data.Add("property-not-allowed (Session Expiry in PUBLISH)", Packet(0x30, Str("a"), Props(0x11, 0, 0, 0, 1)), Malformed);
        data.Add("property-length-not-fewest-bytes (MQTT-1.5.5-1)", Packet(0x30, Str("a"), B(0x80, 0x00)), Malformed);
        data.Add("subscription-identifier-not-fewest-bytes (MQTT-1.5.5-1)", Packet(0x82, U16(1), Props(0x0B, 0x81, 0x00), Str("a"), B(0)), Malformed);
        data.Add("property-length-past-packet", Packet(0x30, Str("a"), B(5, 0x23)), Malformed);
        data.Add("payload-format-indicator-2", Packet(0x30, Str("a"), Props(0x01, 2)), Protocol);
        data.Add("subscription-identifier-0 in SUBSCRIBE", Packet(0x82, U16(1), Props(0x0B, 0), Str("a"), B(0)), Protocol);
        data.Add("subscription-identifier-0 in PUBLISH", Packet(0x30, Str("a"), Props(0x0B, 0)), Protocol);
        data.Add("subscribe-retain-handling-3", Packet(0x82, U16(1), N(V5), Str("a"), B(0x30)), Protocol);
        data.Add("topic-alias-0", Packet(0x30, Str("a"), Props(0x23, 0, 0)), TopicAliasInvalid);
        data.Add("publish-empty-topic-without-alias", Packet(0x30, Str(""), N(V5)), Protocol);
        data.Add("puback-reason-invalid 0x05", Packet(0x40, U16(1), B(0x05)), Malformed);
        data.Add("pubrec-reason-invalid 0x93", Packet(0x50, U16(1), B(0x93)), Malformed);
        data.Add("pubrel-reason-invalid 0x10", Packet(0x62, U16(1), B(0x10)), Malformed);
        data.Add("pubcomp-reason-invalid 0x80", Packet(0x70, U16(1), B(0x80)), Malformed);
        data.Add("disconnect-reason-invalid 0x86", B(0xE0, 0x01, 0x86), Malformed);
        data.Add("auth-reason-invalid 0x87", B(0xF0, 0x01, 0x87), Malformed);
        data.Add("AUTH without enhanced authentication", B(0xF0, 0x00), Protocol);
        return data;
    }

    [Theory]
    [MemberData(nameof(V311Packets))]
    public async Task V311_BadPacket_ClosesTheConnection(string rule, byte[] bytes)
    {
        var (bad, connack) = await RawClient.ConnectAsync(fixture.Port, new ConnectPacket { ProtocolVersion = V4, ClientId = $"bad-{Guid.NewGuid():N}"[..20], KeepAlive = 60 });
        await using (bad)
        {
            Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
            await bad.SendRawAsync(bytes);
            Assert.True(await bad.ReceiveAsync(Wait) is null, rule);
        }

        await fixture.AssertStillServesAsync();
    }

    [Theory]
    [MemberData(nameof(V500Packets))]
    public async Task V500_BadPacket_IsAnsweredWithDisconnectReason_ThenClosed(string rule, byte[] bytes, byte reason)
    {
        var (bad, connack) = await RawClient.ConnectAsync(fixture.Port, new ConnectPacket { ProtocolVersion = V5, ClientId = $"bad-{Guid.NewGuid():N}"[..20], KeepAlive = 60 });
        await using (bad)
        {
            Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
            await bad.SendRawAsync(bytes);
            var disconnect = Assert.IsType<DisconnectPacket>(await bad.ReceiveAsync(Wait));
            Assert.True(reason == (byte)disconnect.ReasonCode, $"{rule}: DISCONNECT 0x{(byte)disconnect.ReasonCode:X2}, expected 0x{reason:X2}");
            Assert.True(await bad.WaitForCloseAsync(Wait), rule);
        }

        await fixture.AssertStillServesAsync();
    }
}
