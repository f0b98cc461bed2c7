using Starling.Mqtt.Packets;
using static Starling.Mqtt.Tests.TestHelpers;

namespace Starling.Mqtt.Tests;

public class RoundTripTests
{
    public static TheoryData<MqttProtocolVersion> Versions => new(AllVersions);

    private static MqttProperties? Props(MqttProtocolVersion version, MqttProperties properties)
        => version == MqttProtocolVersion.V500 ? properties : null;

    private static List<MqttUserProperty> Users() => [new("a", "1"), new("b", "2"), new("a", "3")];

    [Theory]
    [MemberData(nameof(Versions))]
    public void Connect_Full(MqttProtocolVersion version)
    {
        var packet = new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = "client-ü",
            CleanSession = false,
            KeepAlive = 60,
            Username = "user",
            Password = new byte[] { 1, 2, 0, 255 },
            Will = new MqttWill
            {
                Topic = "will/topic",
                Payload = new byte[] { 9, 8, 7 },
                QoS = MqttQualityOfService.ExactlyOnce,
                Retain = true,
                Properties = Props(version, new MqttProperties
                {
                    PayloadFormatIndicator = 1,
                    MessageExpiryInterval = 100,
                    ContentType = "text/plain",
                    ResponseTopic = "reply/here",
                    CorrelationData = new byte[] { 5, 6 },
                    WillDelayInterval = 30,
                    UserProperties = Users(),
                }),
            },
            Properties = Props(version, new MqttProperties
            {
                SessionExpiryInterval = 3600,
                AuthenticationMethod = "SCRAM",
                AuthenticationData = new byte[] { 1, 2, 3 },
                RequestProblemInformation = 0,
                RequestResponseInformation = 1,
                ReceiveMaximum = 10,
                TopicAliasMaximum = 5,
                MaximumPacketSize = 1 << 20,
                UserProperties = Users(),
            }),
        };

        // A CONNECT decodes with an unknown version: its protocol level decides.
        byte[] bytes = Encode(packet, version);
        var decoded = Assert.IsType<ConnectPacket>(Decode(bytes, MqttProtocolVersion.Unknown));
        Assert.Equal(version, decoded.ProtocolVersion);
        Assert.Equal("client-ü", decoded.ClientId);
        Assert.False(decoded.CleanSession);
        Assert.Equal(60, decoded.KeepAlive);
        Assert.Equal("user", decoded.Username);
        Assert.Equal(new byte[] { 1, 2, 0, 255 }, decoded.Password!.Value.ToArray());
        Assert.NotNull(decoded.Will);
        Assert.Equal("will/topic", decoded.Will.Topic);
        Assert.Equal(new byte[] { 9, 8, 7 }, decoded.Will.Payload.ToArray());
        Assert.Equal(MqttQualityOfService.ExactlyOnce, decoded.Will.QoS);
        Assert.True(decoded.Will.Retain);
        AssertPropertiesEqual(packet.Properties, decoded.Properties);
        AssertPropertiesEqual(packet.Will.Properties, decoded.Will.Properties);
        Assert.Equal(bytes, Encode(decoded, version));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Connect_Minimal(MqttProtocolVersion version)
    {
        var decoded = RoundTrip(new ConnectPacket { ProtocolVersion = version, ClientId = "" }, version);
        Assert.Equal("", decoded.ClientId);
        Assert.Null(decoded.Will);
        Assert.Null(decoded.Username);
        Assert.Null(decoded.Password);
        Assert.True(decoded.CleanSession);
    }

    [Fact]
    public void Connect_V5_PasswordWithoutUsername_IsAllowed()
    {
        var decoded = RoundTrip(new ConnectPacket { ProtocolVersion = MqttProtocolVersion.V500, ClientId = "c", Password = new byte[] { 1 } }, MqttProtocolVersion.V500);
        Assert.Null(decoded.Username);
        Assert.Equal(new byte[] { 1 }, decoded.Password!.Value.ToArray());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ConnAck(MqttProtocolVersion version)
    {
        var packet = new ConnAckPacket
        {
            SessionPresent = version != MqttProtocolVersion.V310,
            ReasonCode = MqttReasonCode.BadUserNameOrPassword,
            Properties = Props(version, new MqttProperties
            {
                SessionExpiryInterval = 10,
                AssignedClientIdentifier = "auto-1",
                ServerKeepAlive = 30,
                AuthenticationMethod = "m",
                AuthenticationData = new byte[] { 7 },
                ResponseInformation = "resp/",
                ServerReference = "other:1883",
                ReasonString = "bad",
                ReceiveMaximum = 100,
                TopicAliasMaximum = 10,
                MaximumQoS = 1,
                RetainAvailable = 0,
                UserProperties = Users(),
                MaximumPacketSize = 65536,
                WildcardSubscriptionAvailable = 1,
                SubscriptionIdentifierAvailable = 0,
                SharedSubscriptionAvailable = 1,
            }),
        };
        var decoded = RoundTrip(packet, version);
        Assert.Equal(packet.SessionPresent, decoded.SessionPresent);
        Assert.Equal(MqttReasonCode.BadUserNameOrPassword, decoded.ReasonCode);
        AssertPropertiesEqual(packet.Properties, decoded.Properties);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Publish(MqttProtocolVersion version)
    {
        foreach (MqttQualityOfService qos in Enum.GetValues<MqttQualityOfService>())
        {
            var packet = new PublishPacket
            {
                Topic = "a/b/ç",
                Payload = new byte[] { 0, 1, 2, 3, 4 },
                QoS = qos,
                Retain = true,
                Dup = qos > 0,
                PacketId = qos > 0 ? (ushort)4242 : (ushort)0,
                Properties = Props(version, new MqttProperties
                {
                    PayloadFormatIndicator = 0,
                    MessageExpiryInterval = 5,
                    ContentType = "application/json",
                    ResponseTopic = "r",
                    CorrelationData = new byte[] { 1 },
                    SubscriptionIdentifiers = [1, 300, 268_435_455],
                    TopicAlias = 3,
                    UserProperties = Users(),
                }),
            };
            var decoded = RoundTrip(packet, version);
            Assert.Equal(packet.Topic, decoded.Topic);
            Assert.Equal(packet.Payload.ToArray(), decoded.Payload.ToArray());
            Assert.Equal(qos, decoded.QoS);
            Assert.True(decoded.Retain);
            Assert.Equal(packet.Dup, decoded.Dup);
            Assert.Equal(packet.PacketId, decoded.PacketId);
            AssertPropertiesEqual(packet.Properties, decoded.Properties);
        }
    }

    [Fact]
    public void Publish_V5_EmptyTopic_IsAllowed()
    {
        var decoded = RoundTrip(new PublishPacket { Topic = "", Properties = new MqttProperties { TopicAlias = 1 } }, MqttProtocolVersion.V500);
        Assert.Equal("", decoded.Topic);
        Assert.Equal((ushort)1, decoded.Properties!.TopicAlias);
    }

    [Fact]
    public void Publish_LargePayload_SpansManySegments()
    {
        byte[] payload = new byte[70_000];
        new Random(1).NextBytes(payload);
        var packet = new PublishPacket { Topic = "big", Payload = payload, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1 };
        byte[] bytes = Encode(packet, MqttProtocolVersion.V311);
        Assert.Equal(0x30 | 0x02, bytes[0]);
        var segmented = Segmented(bytes, 7);
        Assert.True(MqttPacketReader.TryRead(ref segmented, MqttProtocolVersion.V311, uint.MaxValue, out MqttPacket? decoded));
        Assert.Equal(payload, Assert.IsType<PublishPacket>(decoded).Payload.ToArray());
    }

    public static TheoryData<MqttPacketType, MqttProtocolVersion> AckCases()
    {
        var data = new TheoryData<MqttPacketType, MqttProtocolVersion>();
        foreach (MqttPacketType type in new[] { MqttPacketType.PubAck, MqttPacketType.PubRec, MqttPacketType.PubRel, MqttPacketType.PubComp })
        {
            foreach (MqttProtocolVersion version in AllVersions)
            {
                data.Add(type, version);
            }
        }

        return data;
    }

    private static PublishAckPacket NewAck(MqttPacketType type) => type switch
    {
        MqttPacketType.PubAck => new PubAckPacket(),
        MqttPacketType.PubRec => new PubRecPacket(),
        MqttPacketType.PubRel => new PubRelPacket(),
        _ => new PubCompPacket(),
    };

    [Theory]
    [MemberData(nameof(AckCases))]
    public void PublishAcks(MqttPacketType type, MqttProtocolVersion version)
    {
        // Short form: Success without properties is just the packet id (also the only form in 3.x).
        PublishAckPacket plain = NewAck(type);
        plain.PacketId = 7;
        byte[] bytes = Encode(plain, version);
        Assert.Equal(4, bytes.Length);
        Assert.Equal(type == MqttPacketType.PubRel ? 0x62 : (int)type << 4, bytes[0]);
        Assert.Equal(7, RoundTrip(plain, version).PacketId);

        if (version == MqttProtocolVersion.V500)
        {
            PublishAckPacket reasonOnly = NewAck(type);
            reasonOnly.PacketId = 8;
            // A code from the packet's own table (sections 3.4.2.1-3.7.2.1): any other is malformed.
            MqttReasonCode code = type is MqttPacketType.PubAck or MqttPacketType.PubRec ? MqttReasonCode.NoMatchingSubscribers : MqttReasonCode.PacketIdentifierNotFound;
            reasonOnly.ReasonCode = code;
            Assert.Equal(5, Encode(reasonOnly, version).Length);
            Assert.Equal(code, RoundTrip(reasonOnly, version).ReasonCode);

            PublishAckPacket full = NewAck(type);
            full.PacketId = 9;
            full.ReasonCode = MqttReasonCode.Success;
            full.Properties = new MqttProperties { ReasonString = "why", UserProperties = Users() };
            PublishAckPacket decoded = RoundTrip(full, version);
            Assert.Equal(9, decoded.PacketId);
            AssertPropertiesEqual(full.Properties, decoded.Properties);
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Subscribe(MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        var packet = new SubscribePacket
        {
            PacketId = 3,
            Subscriptions =
            [
                new MqttSubscription { TopicFilter = "a/+", QoS = MqttQualityOfService.AtLeastOnce, NoLocal = v5, RetainAsPublished = v5, RetainHandling = v5 ? (byte)2 : (byte)0 },
                new MqttSubscription { TopicFilter = "#", QoS = MqttQualityOfService.ExactlyOnce },
                new MqttSubscription { TopicFilter = "not/valid#/but/utf8", QoS = MqttQualityOfService.AtMostOnce },
            ],
            Properties = Props(version, new MqttProperties { SubscriptionIdentifiers = [77], UserProperties = Users() }),
        };
        var decoded = RoundTrip(packet, version);
        Assert.Equal(3, decoded.PacketId);
        Assert.Equal(3, decoded.Subscriptions.Count);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(packet.Subscriptions[i].TopicFilter, decoded.Subscriptions[i].TopicFilter);
            Assert.Equal(packet.Subscriptions[i].QoS, decoded.Subscriptions[i].QoS);
            Assert.Equal(packet.Subscriptions[i].NoLocal, decoded.Subscriptions[i].NoLocal);
            Assert.Equal(packet.Subscriptions[i].RetainAsPublished, decoded.Subscriptions[i].RetainAsPublished);
            Assert.Equal(packet.Subscriptions[i].RetainHandling, decoded.Subscriptions[i].RetainHandling);
        }

        AssertPropertiesEqual(packet.Properties, decoded.Properties);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void SubAck(MqttProtocolVersion version)
    {
        var packet = new SubAckPacket
        {
            PacketId = 3,
            ReasonCodes = [MqttReasonCode.GrantedQoS0, MqttReasonCode.GrantedQoS1, MqttReasonCode.GrantedQoS2, MqttReasonCode.UnspecifiedError],
            Properties = Props(version, new MqttProperties { ReasonString = "ok", UserProperties = Users() }),
        };
        var decoded = RoundTrip(packet, version);
        Assert.Equal(packet.ReasonCodes, decoded.ReasonCodes);
        AssertPropertiesEqual(packet.Properties, decoded.Properties);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void SubAck_V3_MapsFailuresTo0x80(MqttProtocolVersion version)
    {
        var packet = new SubAckPacket { PacketId = 1, ReasonCodes = [MqttReasonCode.TopicFilterInvalid, MqttReasonCode.GrantedQoS1] };
        Assert.Equal(Hex("90 04 00 01 80 01"), Encode(packet, version));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Unsubscribe(MqttProtocolVersion version)
    {
        var packet = new UnsubscribePacket
        {
            PacketId = 11,
            TopicFilters = ["a/b", "c/#"],
            Properties = Props(version, new MqttProperties { UserProperties = Users() }),
        };
        var decoded = RoundTrip(packet, version);
        Assert.Equal(11, decoded.PacketId);
        Assert.Equal(packet.TopicFilters, decoded.TopicFilters);
        AssertPropertiesEqual(packet.Properties, decoded.Properties);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void UnsubAck(MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        var packet = new UnsubAckPacket
        {
            PacketId = 11,
            ReasonCodes = [MqttReasonCode.Success, MqttReasonCode.NoSubscriptionExisted],
            Properties = Props(version, new MqttProperties { ReasonString = "r", UserProperties = Users() }),
        };
        byte[] bytes = Encode(packet, version);
        if (!v5)
        {
            Assert.Equal(Hex("b0 02 00 0b"), bytes);
        }

        var decoded = RoundTrip(packet, version);
        Assert.Equal(11, decoded.PacketId);
        Assert.Equal(v5 ? packet.ReasonCodes : [], decoded.ReasonCodes);
        AssertPropertiesEqual(packet.Properties, decoded.Properties);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Ping(MqttProtocolVersion version)
    {
        Assert.Same(PingReqPacket.Instance, RoundTrip(PingReqPacket.Instance, version));
        Assert.Same(PingRespPacket.Instance, RoundTrip(PingRespPacket.Instance, version));
        Assert.Equal(Hex("c0 00"), Encode(PingReqPacket.Instance, version));
        Assert.Equal(Hex("d0 00"), Encode(PingRespPacket.Instance, version));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Disconnect(MqttProtocolVersion version)
    {
        Assert.Equal(Hex("e0 00"), Encode(new DisconnectPacket(), version));
        var packet = new DisconnectPacket
        {
            ReasonCode = MqttReasonCode.ServerMoved,
            Properties = Props(version, new MqttProperties { SessionExpiryInterval = 0, ReasonString = "moved", ServerReference = "x", UserProperties = Users() }),
        };
        var decoded = RoundTrip(packet, version);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal(MqttReasonCode.ServerMoved, decoded.ReasonCode);
            AssertPropertiesEqual(packet.Properties, decoded.Properties);
            Assert.Equal(Hex("e0 01 04"), Encode(new DisconnectPacket { ReasonCode = MqttReasonCode.DisconnectWithWillMessage }, version));
        }
        else
        {
            Assert.Equal(Hex("e0 00"), Encode(packet, version));
        }
    }

    [Fact]
    public void Auth_V5()
    {
        Assert.Equal(Hex("f0 00"), Encode(new AuthPacket(), MqttProtocolVersion.V500));
        var packet = new AuthPacket
        {
            ReasonCode = MqttReasonCode.ContinueAuthentication,
            Properties = new MqttProperties { AuthenticationMethod = "SCRAM-SHA-1", AuthenticationData = new byte[] { 1, 2 }, ReasonString = "go on", UserProperties = Users() },
        };
        var decoded = RoundTrip(packet, MqttProtocolVersion.V500);
        Assert.Equal(MqttReasonCode.ContinueAuthentication, decoded.ReasonCode);
        AssertPropertiesEqual(packet.Properties, decoded.Properties);
        Assert.Equal(MqttReasonCode.Success, RoundTrip(new AuthPacket(), MqttProtocolVersion.V500).ReasonCode);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V310)]
    [InlineData(MqttProtocolVersion.V311)]
    public void Auth_V3_WriteThrows(MqttProtocolVersion version)
    {
        Assert.Throws<InvalidOperationException>(() => Encode(new AuthPacket(), version));
        Assert.Throws<InvalidOperationException>(() => MqttPacketWriter.GetSize(new AuthPacket(), version));
    }

    [Fact]
    public void ReadProperties_ParsesRawBytes()
    {
        MqttProperties p = MqttPacketReader.ReadProperties(new System.Buffers.ReadOnlySequence<byte>(Hex("26 0001 61 0001 62 23 0005")), MqttPacketType.Publish);
        Assert.Equal(new MqttUserProperty("a", "b"), Assert.Single(p.UserProperties!));
        Assert.Equal((ushort)5, p.TopicAlias);
    }
}
