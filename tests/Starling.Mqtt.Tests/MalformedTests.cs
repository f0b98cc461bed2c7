using Starling.Mqtt.Packets;
using static Starling.Mqtt.Tests.TestHelpers;
using static Starling.TestSupport.WireBytes;

namespace Starling.Mqtt.Tests;

/// <summary>One test per grammar rule: each asserts the exception's reason code and rule.</summary>
public class MalformedTests
{
    private const MqttProtocolVersion V3 = MqttProtocolVersion.V310;
    private const MqttProtocolVersion V4 = MqttProtocolVersion.V311;
    private const MqttProtocolVersion V5 = MqttProtocolVersion.V500;
    private const MqttReasonCode Malformed = MqttReasonCode.MalformedPacket;
    private const MqttReasonCode Protocol = MqttReasonCode.ProtocolError;

    // ---- Fixed header ----

    [Fact]
    public void PacketType0_IsMalformed()
        => AssertThrows(B(0x00, 0x00), V4, Malformed, "reserved-packet-type");

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void Auth_BeforeV5_IsReservedType(MqttProtocolVersion version)
        => AssertThrows(B(0xF0, 0x00), version, Malformed, "reserved-packet-type");

    [Fact]
    public void FirstPacketNotConnect_IsProtocolError_MQTT_3_1_0_1()
        => AssertThrows(B(0xC0, 0x00), MqttProtocolVersion.Unknown, Protocol, "MQTT-3.1.0-1");

    [Fact]
    public void PubRel_FlagsNot0010_IsMalformed_MQTT_3_6_1_1()
        => AssertThrows(Packet(0x60, U16(1)), V4, Malformed, "MQTT-3.6.1-1");

    [Fact]
    public void Subscribe_FlagsNot0010_IsMalformed_MQTT_3_8_1_1()
        => AssertThrows(Packet(0x80, U16(1), Str("a"), B(0)), V4, Malformed, "MQTT-3.8.1-1");

    [Fact]
    public void Unsubscribe_FlagsNot0010_IsMalformed_MQTT_3_10_1_1()
        => AssertThrows(Packet(0xA3, U16(1), Str("a")), V4, Malformed, "MQTT-3.10.1-1");

    [Theory]
    [InlineData(0x41)]
    [InlineData(0xC8)]
    [InlineData(0xE2)]
    [InlineData(0x24)]
    public void ReservedFlagsSet_IsMalformed_MQTT_2_2_2_2(byte first)
        => AssertThrows(Packet(first, first >> 4 is 4 or 2 ? U16(1) : []), V4, Malformed, "MQTT-2.2.2-2");

    // ---- CONNECT ----

    [Fact]
    public void Connect_UnknownProtocolName_IsProtocolError_MQTT_3_1_2_1()
        => AssertThrows(Packet(0x10, Str("HTTP"), B(4, 2), U16(60), Str("c")), MqttProtocolVersion.Unknown, Protocol, "MQTT-3.1.2-1");

    [Theory]
    [InlineData("MQTT", 3)]
    [InlineData("MQTT", 6)]
    [InlineData("MQIsdp", 4)]
    [InlineData("MQIsdp", 5)]
    public void Connect_UnsupportedLevel_Is0x84_MQTT_3_1_2_2(string name, byte level)
        => AssertThrows(Packet(0x10, Str(name), B(level, 2), U16(60), Str("c")), MqttProtocolVersion.Unknown, MqttReasonCode.UnsupportedProtocolVersion, "MQTT-3.1.2-2");

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Connect_ReservedFlagSet_IsMalformed_MQTT_3_1_2_3(MqttProtocolVersion version)
        => AssertThrows(Packet(0x10, ConnectHeader(version, 0x03), Str("c")), MqttProtocolVersion.Unknown, Malformed, "MQTT-3.1.2-3");

    [Fact]
    public void Connect_WillQoS3_IsMalformed_MQTT_3_1_2_14()
        => AssertThrows(Packet(0x10, ConnectHeader(V4, 0x1E), Str("c"), Str("t"), Bin([1])), MqttProtocolVersion.Unknown, Malformed, "MQTT-3.1.2-14");

    [Fact]
    public void Connect_WillQoSWithoutWillFlag_IsMalformed_MQTT_3_1_2_13()
        => AssertThrows(Packet(0x10, ConnectHeader(V4, 0x0A), Str("c")), MqttProtocolVersion.Unknown, Malformed, "MQTT-3.1.2-13");

    [Fact]
    public void Connect_WillRetainWithoutWillFlag_IsMalformed_MQTT_3_1_2_15()
        => AssertThrows(Packet(0x10, ConnectHeader(V5, 0x22), Str("c")), MqttProtocolVersion.Unknown, Malformed, "MQTT-3.1.2-15");

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void Connect_PasswordWithoutUserName_IsMalformed_MQTT_3_1_2_22(MqttProtocolVersion version)
        => AssertThrows(Packet(0x10, ConnectHeader(version, 0x42), Str("c"), Bin([1])), MqttProtocolVersion.Unknown, Malformed, "MQTT-3.1.2-22");

    [Fact]
    public void Connect_V310_LongOrEmptyClientId_IsAcceptedForTheBroker()
    {
        string longId = new('x', 40);
        var packet = Assert.IsType<ConnectPacket>(Decode(Packet(0x10, ConnectHeader(V3, 0x02), Str(longId)), MqttProtocolVersion.Unknown));
        Assert.Equal(longId, packet.ClientId);
        Assert.Equal("", Assert.IsType<ConnectPacket>(Decode(Packet(0x10, ConnectHeader(V3, 0x02), Str("")), MqttProtocolVersion.Unknown)).ClientId);
    }

    [Fact]
    public void Connect_UserNameFlagWithoutUserName_IsTruncated()
        => AssertThrows(Packet(0x10, ConnectHeader(V4, 0x82), Str("c")), MqttProtocolVersion.Unknown, Malformed, "packet-truncated");

    [Fact]
    public void Connect_TrailingBytes_IsMalformed()
        => AssertThrows(Packet(0x10, ConnectHeader(V4, 0x02), Str("c"), B(0)), MqttProtocolVersion.Unknown, Malformed, "packet-trailing-bytes");

    // ---- Strings ----

    [Theory]
    [InlineData(new byte[] { 0xC0, 0x80 })] // overlong U+0000
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // UTF-16 surrogate U+D800
    [InlineData(new byte[] { 0xE2, 0x82 })] // truncated sequence
    [InlineData(new byte[] { 0x80 })] // lone continuation byte
    [InlineData(new byte[] { 0xF4, 0x90, 0x80, 0x80 })] // above U+10FFFF
    public void String_IllFormedUtf8_IsMalformed_MQTT_1_5_3_1(byte[] bad)
        => AssertThrows(Packet(0x10, ConnectHeader(V4, 0x02), Bin(bad)), MqttProtocolVersion.Unknown, Malformed, "MQTT-1.5.3-1");

    [Fact]
    public void String_HoldsNull_IsMalformed_MQTT_1_5_3_2()
        => AssertThrows(Packet(0x10, ConnectHeader(V4, 0x02), Bin([0x61, 0x00])), MqttProtocolVersion.Unknown, Malformed, "MQTT-1.5.3-2");

    [Fact]
    public void String_LengthRunsPastPacket_IsMalformed()
        => AssertThrows(Packet(0x10, ConnectHeader(V4, 0x02), U16(10), B(0x61)), MqttProtocolVersion.Unknown, Malformed, "packet-truncated");

    [Fact]
    public void String_ValidMultibyteAcrossSegments_IsAccepted()
    {
        // 1-byte segments force the segment-spanning validator over 2, 3 and 4 byte sequences.
        var packet = Assert.IsType<SubscribePacket>(Decode(Packet(0x82, U16(1), Str("é/€/😀"), B(1)), V4));
        Assert.Equal("é/€/😀", packet.Subscriptions[0].TopicFilter);
    }

    // ---- PUBLISH ----

    [Fact]
    public void Publish_QoS3_IsMalformed_MQTT_3_3_1_4()
        => AssertThrows(Packet(0x36, Str("a"), U16(1)), V4, Malformed, "MQTT-3.3.1-4");

    [Fact]
    public void Publish_DupOnQoS0_IsMalformed_MQTT_3_3_1_2()
        => AssertThrows(Packet(0x38, Str("a")), V4, Malformed, "MQTT-3.3.1-2");

    [Fact]
    public void Publish_QoS1PacketId0_IsMalformed_MQTT_2_3_1_1()
        => AssertThrows(Packet(0x32, Str("a"), U16(0)), V4, Malformed, "MQTT-2.3.1-1");

    [Theory]
    [InlineData("a/+")]
    [InlineData("#")]
    [InlineData("a/b#")]
    public void Publish_WildcardTopic_IsTopicNameInvalid_MQTT_3_3_2_2(string topic)
    {
        AssertThrows(Packet(0x30, Str(topic)), V4, MqttReasonCode.TopicNameInvalid, "MQTT-3.3.2-2");
        AssertThrows(Packet(0x30, Str(topic), B(0)), V5, MqttReasonCode.TopicNameInvalid, "MQTT-3.3.2-2");
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void Publish_EmptyTopicBeforeV5_IsTopicNameInvalid_MQTT_4_7_3_1(MqttProtocolVersion version)
        => AssertThrows(Packet(0x30, Str("")), version, MqttReasonCode.TopicNameInvalid, "MQTT-4.7.3-1");

    [Fact]
    public void Publish_V5_PropertyLengthPastPacket_IsMalformed()
        => AssertThrows(Packet(0x30, Str("a"), B(5, 0x23)), V5, Malformed, "packet-truncated");

    [Fact]
    public void Publish_V5_SubscriptionIdentifier0_IsProtocolError()
        => AssertThrows(Packet(0x30, Str("a"), Props(0x0B, 0x00)), V5, Protocol, "subscription-identifier-zero");

    // ---- 5.0 properties ----

    [Fact]
    public void Properties_UnknownId_IsMalformed()
        => AssertThrows(Packet(0x40, U16(1), B(0), Props(0x05, 0x00)), V5, Malformed, "property-unknown");

    [Fact]
    public void Properties_NotAllowedInPacket_IsMalformed()
        => AssertThrows(Packet(0x10, ConnectHeader(V5, 0x02, Props(0x23, 0x00, 0x01)), Str("c")), MqttProtocolVersion.Unknown, Malformed, "property-not-allowed");

    [Fact]
    public void Properties_NotAllowedInWill_IsMalformed()
        => AssertThrows(
            Packet(0x10, ConnectHeader(V5, 0x06), Str("c"), Props(0x11, 0, 0, 0, 1), Str("t"), Bin([1])),
            MqttProtocolVersion.Unknown,
            Malformed,
            "property-not-allowed");

    [Fact]
    public void Properties_WillDelayOutsideWill_IsMalformed()
        => AssertThrows(Packet(0x10, ConnectHeader(V5, 0x02, Props(0x18, 0, 0, 0, 1)), Str("c")), MqttProtocolVersion.Unknown, Malformed, "property-not-allowed");

    [Fact]
    public void Properties_GivenTwice_IsProtocolError()
        => AssertThrows(Packet(0x10, ConnectHeader(V5, 0x02, Props(0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2)), Str("c")), MqttProtocolVersion.Unknown, Protocol, "property-duplicate");

    [Fact]
    public void Properties_SubscriptionIdentifierTwiceInSubscribe_IsProtocolError()
        => AssertThrows(Packet(0x82, U16(1), Props(0x0B, 1, 0x0B, 2), Str("a"), B(0)), V5, Protocol, "property-duplicate");

    [Fact]
    public void Properties_SubscriptionIdentifierRepeatedInPublish_AndUserPropertyOrderKept()
    {
        // Interleaved on the wire; the writer groups them by id, so no byte-exact re-encoding here.
        var buffer = Segmented(Packet(0x30, Str("a"), Props(0x0B, 1, 0x26, 0, 1, 0x78, 0, 1, 0x31, 0x0B, 2, 0x26, 0, 1, 0x78, 0, 1, 0x32)));
        Assert.True(MqttPacketReader.TryRead(ref buffer, V5, uint.MaxValue, out MqttPacket? read));
        var packet = Assert.IsType<PublishPacket>(read);
        Assert.Equal([1u, 2u], packet.Properties!.SubscriptionIdentifiers!);
        Assert.Equal([new MqttUserProperty("x", "1"), new MqttUserProperty("x", "2")], packet.Properties.UserProperties!);
    }

    [Theory]
    [InlineData(0x17)] // Request Problem Information
    [InlineData(0x19)] // Request Response Information
    public void Properties_ByteNotZeroOrOne_IsProtocolError(byte id)
        => AssertThrows(Packet(0x10, ConnectHeader(V5, 0x02, Props(id, 2)), Str("c")), MqttProtocolVersion.Unknown, Protocol, "property-value-range");

    [Fact]
    public void Properties_PayloadFormatIndicator2_IsProtocolError()
        => AssertThrows(Packet(0x30, Str("a"), Props(0x01, 2)), V5, Protocol, "property-value-range");

    [Fact]
    public void Properties_ReceiveMaximum0_IsProtocolError()
        => AssertThrows(Packet(0x10, ConnectHeader(V5, 0x02, Props(0x21, 0, 0)), Str("c")), MqttProtocolVersion.Unknown, Protocol, "receive-maximum-zero");

    [Fact]
    public void Properties_MaximumPacketSize0_IsProtocolError()
        => AssertThrows(Packet(0x20, B(0, 0), Props(0x27, 0, 0, 0, 0)), V5, Protocol, "maximum-packet-size-zero");

    [Fact]
    public void Properties_ValueRunsPastPropertyLength_IsMalformed()
        => AssertThrows(Packet(0x20, B(0, 0), Props(0x27, 0, 0)), V5, Malformed, "packet-truncated");

    [Fact]
    public void Properties_IdentifierOver4Bytes_IsMalformed()
        => AssertThrows(Packet(0x20, B(0, 0), Props(0xFF, 0xFF, 0xFF, 0xFF, 0x01)), V5, Malformed, "MQTT-1.5.5-1");

    [Fact]
    public void Properties_IdentifierNotInFewestBytes_IsMalformed_MQTT_1_5_5_1()
        => AssertThrows(Packet(0x20, B(0, 0), Props(0xA7, 0x00, 0, 0, 0, 1)), V5, Malformed, "MQTT-1.5.5-1");

    [Fact]
    public void Properties_LengthNotInFewestBytes_IsMalformed_MQTT_1_5_5_1()
        => AssertThrows(Packet(0x20, B(0, 0), B(0x80, 0x00)), V5, Malformed, "MQTT-1.5.5-1");

    [Fact]
    public void Publish_PropertyLengthNotInFewestBytes_IsMalformed_MQTT_1_5_5_1()
        => AssertThrows(Packet(0x30, Str("t"), B(0x80, 0x00)), V5, Malformed, "MQTT-1.5.5-1");

    [Fact]
    public void Subscribe_SubscriptionIdentifierNotInFewestBytes_IsMalformed_MQTT_1_5_5_1()
        => AssertThrows(Packet(0x82, U16(1), Props(0x0B, 0x81, 0x00), Str("a"), B(1)), V5, Malformed, "MQTT-1.5.5-1");

    // ---- SUBSCRIBE / UNSUBSCRIBE ----

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Subscribe_NoFilter_IsProtocolError_MQTT_3_8_3_3(MqttProtocolVersion version)
        => AssertThrows(Packet(0x82, U16(1), version == V5 ? B(0) : []), version, Protocol, "MQTT-3.8.3-3");

    [Fact]
    public void Subscribe_PacketId0_IsMalformed_MQTT_2_3_1_1()
        => AssertThrows(Packet(0x82, U16(0), Str("a"), B(0)), V4, Malformed, "MQTT-2.3.1-1");

    [Theory]
    [InlineData(0x04)]
    [InlineData(0x80)]
    [InlineData(0x03)]
    public void Subscribe_V311_ReservedBitsOrQoS3_IsMalformed_MQTT_3_8_3_4(byte options)
        => AssertThrows(Packet(0x82, U16(1), Str("a"), B(options)), V4, Malformed, "MQTT-3.8.3-4");

    [Fact]
    public void Subscribe_V5_ReservedBits_IsMalformed_MQTT_3_8_3_5()
        => AssertThrows(Packet(0x82, U16(1), B(0), Str("a"), B(0x40)), V5, Malformed, "MQTT-3.8.3-5");

    [Fact]
    public void Subscribe_V5_QoS3_IsProtocolError()
        => AssertThrows(Packet(0x82, U16(1), B(0), Str("a"), B(0x03)), V5, Protocol, "subscription-qos-3");

    [Fact]
    public void Subscribe_V5_RetainHandling3_IsProtocolError()
        => AssertThrows(Packet(0x82, U16(1), B(0), Str("a"), B(0x30)), V5, Protocol, "subscription-retain-handling-3");

    [Fact]
    public void Subscribe_InvalidFilterSyntax_IsLeftToTheBroker()
    {
        var packet = Assert.IsType<SubscribePacket>(Decode(Packet(0x82, U16(1), Str("a/#/b"), B(0), Str(""), B(1)), V4));
        Assert.Equal(["a/#/b", ""], packet.Subscriptions.Select(s => s.TopicFilter));
    }

    [Fact]
    public void Subscribe_FilterNotUtf8_IsMalformed_MQTT_1_5_3_1()
        => AssertThrows(Packet(0x82, U16(1), Bin([0xFF]), B(0)), V4, Malformed, "MQTT-1.5.3-1");

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public void Unsubscribe_NoFilter_IsProtocolError_MQTT_3_10_3_2(MqttProtocolVersion version)
        => AssertThrows(Packet(0xA2, U16(1), version == V5 ? B(0) : []), version, Protocol, "MQTT-3.10.3-2");

    // ---- Acknowledgements ----

    [Theory]
    [InlineData(MqttProtocolVersion.V310, 0x40)]
    [InlineData(MqttProtocolVersion.V311, 0x50)]
    [InlineData(MqttProtocolVersion.V311, 0x70)]
    public void PublishAck_V3_ExtraBytes_IsMalformed(MqttProtocolVersion version, byte first)
        => AssertThrows(Packet(first, U16(1), B(0)), version, Malformed, "packet-trailing-bytes");

    [Fact]
    public void PublishAck_TooShort_IsMalformed()
        => AssertThrows(Packet(0x40, B(1)), V5, Malformed, "packet-truncated");

    [Fact]
    public void PublishAck_V5_ReasonCodeOnly_IsAccepted()
        => Assert.Equal(MqttReasonCode.NoMatchingSubscribers, Assert.IsType<PubAckPacket>(Decode(Packet(0x40, U16(1), B(0x10)), V5)).ReasonCode);

    [Theory]
    [InlineData(0x40, 0x05)] // PUBACK: 0x05 is in no table
    [InlineData(0x40, 0x92)] // PUBACK: Packet Identifier not found belongs to PUBREL/PUBCOMP
    [InlineData(0x50, 0x01)] // PUBREC
    [InlineData(0x50, 0x93)] // PUBREC: Receive Maximum exceeded is a DISCONNECT reason
    [InlineData(0x62, 0x10)] // PUBREL: only 0x00 and 0x92
    [InlineData(0x70, 0x80)] // PUBCOMP: only 0x00 and 0x92
    public void PublishAck_V5_ReasonCodeOutsideItsTable_IsMalformed(byte first, byte code)
        => AssertThrows(Packet(first, U16(1), B(code)), V5, Malformed, "reason-code-invalid");

    [Theory]
    [InlineData(0x40, 0x10)]
    [InlineData(0x40, 0x80)]
    [InlineData(0x40, 0x83)]
    [InlineData(0x40, 0x87)]
    [InlineData(0x40, 0x90)]
    [InlineData(0x40, 0x91)]
    [InlineData(0x40, 0x97)]
    [InlineData(0x40, 0x99)]
    [InlineData(0x50, 0x99)]
    [InlineData(0x62, 0x92)]
    [InlineData(0x70, 0x92)]
    public void PublishAck_V5_ReasonCodeInItsTable_IsAccepted(byte first, byte code)
        => Assert.Equal((MqttReasonCode)code, Assert.IsAssignableFrom<PublishAckPacket>(Decode(Packet(first, U16(1), B(code)), V5)).ReasonCode);

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x86)] // Bad user name or password: a CONNACK reason only
    [InlineData(0x8C)] // Bad authentication method: a CONNACK reason only
    [InlineData(0x92)]
    public void Disconnect_V5_ReasonCodeOutsideItsTable_IsMalformed(byte code)
        => AssertThrows(B(0xE0, 0x01, code), V5, Malformed, "reason-code-invalid");

    [Theory]
    [InlineData(0x04)]
    [InlineData(0x8E)]
    [InlineData(0xA2)]
    public void Disconnect_V5_ReasonCodeInItsTable_IsAccepted(byte code)
        => Assert.Equal((MqttReasonCode)code, Assert.IsType<DisconnectPacket>(Decode(B(0xE0, 0x01, code), V5)).ReasonCode);

    [Fact]
    public void Auth_ReasonCodeOutsideItsTable_IsMalformed()
        => AssertThrows(B(0xF0, 0x01, 0x87), V5, Malformed, "reason-code-invalid");

    [Fact]
    public void ConnAck_ReservedFlagBits_IsMalformed_MQTT_3_2_2_1()
        => AssertThrows(Packet(0x20, B(0x02, 0x00)), V4, Malformed, "MQTT-3.2.2-1");

    [Fact]
    public void ConnAck_V311_ReturnCode6_IsMalformed()
        => AssertThrows(Packet(0x20, B(0x00, 0x06)), V4, Malformed, "MQTT-3.2.2-3.1.1");

    [Fact]
    public void SubAck_V311_ReturnCode3_IsMalformed_MQTT_3_9_3_2()
        => AssertThrows(Packet(0x90, U16(1), B(0x03)), V4, Malformed, "MQTT-3.9.3-2");

    [Fact]
    public void UnsubAck_V311_WithPayload_IsMalformed()
        => AssertThrows(Packet(0xB0, U16(1), B(0)), V4, Malformed, "packet-trailing-bytes");

    [Fact]
    public void PingReq_WithBody_IsMalformed()
        => AssertThrows(Packet(0xC0, B(0)), V4, Malformed, "packet-trailing-bytes");

    [Fact]
    public void Disconnect_V311_WithBody_IsMalformed()
        => AssertThrows(Packet(0xE0, B(0)), V4, Malformed, "packet-trailing-bytes");

    [Fact]
    public void Disconnect_V5_PropertyNotAllowed_IsMalformed()
        => AssertThrows(Packet(0xE0, B(0), Props(0x21, 0, 1)), V5, Malformed, "property-not-allowed");

    [Fact]
    public void Auth_V5_RemainingLength0_IsSuccess()
        => Assert.Equal(MqttReasonCode.Success, Assert.IsType<AuthPacket>(Decode(B(0xF0, 0x00), V5)).ReasonCode);
}
