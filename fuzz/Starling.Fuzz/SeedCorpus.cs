using System.Buffers;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Fuzz;

/// <summary>
/// The seed corpus: every control packet in every version, encoded by the packet writer (codec), and
/// whole client conversations, CONNECT first, for each version (connection).
/// </summary>
internal static class SeedCorpus
{
    private static readonly MqttProtocolVersion[] Versions = [MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    public static void Write(string directory)
    {
        foreach (string target in new[] { "codec", "connection" })
        {
            string dir = Path.Combine(directory, target);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in Build(target))
            {
                File.WriteAllBytes(Path.Combine(dir, name + ".bin"), bytes);
            }

            Console.WriteLine($"{dir}: {Build(target).Count} seeds");
        }
    }

    public static List<(string Name, byte[] Bytes)> Build(string target) => target switch
    {
        "codec" => Versions.SelectMany(v => Packets(v).Select(p => ($"v{(int)v}-{p.Name}", Encode(v, p.Packet)))).ToList(),
        "connection" => Versions.SelectMany(Conversations).ToList(),
        _ => throw new ArgumentException($"unknown target {target}", nameof(target)),
    };

    private static byte[] Encode(MqttProtocolVersion version, params MqttPacket[] packets)
    {
        var writer = new ArrayBufferWriter<byte>();
        foreach (var packet in packets)
        {
            MqttPacketWriter.Write(packet, version, writer);
        }

        return writer.WrittenSpan.ToArray();
    }

    private static ConnectPacket Connect(MqttProtocolVersion version, string clientId, bool clean = true, MqttWill? will = null)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        return new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = clientId,
            CleanSession = clean,
            KeepAlive = 30,
            Will = will,
            Properties = v5 ? new MqttProperties { SessionExpiryInterval = (uint?)(clean ? 0 : 5), ReceiveMaximum = 10, TopicAliasMaximum = 4, MaximumPacketSize = 65536, RequestProblemInformation = 1, UserProperties = [new("k", "v")] } : null,
        };
    }

    private static IEnumerable<(string Name, MqttPacket Packet)> Packets(MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        var users = new List<MqttUserProperty> { new("k", "v") };
        var will = new MqttWill
        {
            Topic = "will/t",
            Payload = new byte[] { 0xDE, 0xAD },
            QoS = MqttQualityOfService.AtLeastOnce,
            Retain = true,
            Properties = v5 ? new MqttProperties { WillDelayInterval = 2, MessageExpiryInterval = 60, ContentType = "text/plain", ResponseTopic = "r/t", CorrelationData = new byte[] { 1 }, PayloadFormatIndicator = 1, UserProperties = users } : null,
        };
        yield return ("connect", Connect(version, "c1"));
        yield return ("connect-will-user-password", new ConnectPacket { ProtocolVersion = version, ClientId = "c2", Username = "user", Password = new byte[] { 1, 2 }, KeepAlive = 5, Will = will, Properties = v5 ? new MqttProperties { SessionExpiryInterval = 10, UserProperties = users } : null });
        yield return ("connect-persistent", Connect(version, "c3", clean: false));
        yield return ("connack", new ConnAckPacket { SessionPresent = true, Properties = v5 ? new MqttProperties { MaximumQoS = 1, RetainAvailable = 1, AssignedClientIdentifier = "a", ServerKeepAlive = 10, TopicAliasMaximum = 5, ReasonString = "r" } : null });
        yield return ("connack-refused", new ConnAckPacket { ReasonCode = MqttReasonCode.NotAuthorized });
        yield return ("publish-qos0", new PublishPacket { Topic = "a/b", Payload = new byte[] { 1, 2, 3 } });
        yield return ("publish-qos1-retain", new PublishPacket { Topic = "a/b/c", Payload = new byte[] { 4 }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 1, Retain = true, Properties = v5 ? new MqttProperties { MessageExpiryInterval = 30, TopicAlias = 1, ResponseTopic = "resp", CorrelationData = new byte[] { 9 }, UserProperties = users, ContentType = "c", PayloadFormatIndicator = 0 } : null });
        yield return ("publish-qos2-dup", new PublishPacket { Topic = "x", Payload = new byte[] { 5, 6 }, QoS = MqttQualityOfService.ExactlyOnce, PacketId = 65535, Dup = true, Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [1, 268435455] } : null });
        if (v5)
        {
            yield return ("publish-alias-only", new PublishPacket { Topic = "", Payload = new byte[] { 7 }, Properties = new MqttProperties { TopicAlias = 1 } });
        }

        yield return ("puback", new PubAckPacket { PacketId = 1, ReasonCode = v5 ? MqttReasonCode.NoMatchingSubscribers : MqttReasonCode.Success, Properties = v5 ? new MqttProperties { ReasonString = "none" } : null });
        yield return ("pubrec", new PubRecPacket { PacketId = 2 });
        yield return ("pubrel", new PubRelPacket { PacketId = 2, ReasonCode = v5 ? MqttReasonCode.PacketIdentifierNotFound : MqttReasonCode.Success });
        yield return ("pubcomp", new PubCompPacket { PacketId = 2 });
        yield return ("subscribe", new SubscribePacket
        {
            PacketId = 3,
            Subscriptions =
            [
                new MqttSubscription { TopicFilter = "a/+/c", QoS = MqttQualityOfService.ExactlyOnce, NoLocal = v5, RetainAsPublished = v5, RetainHandling = (byte)(v5 ? 1 : 0) },
                new MqttSubscription { TopicFilter = "#", QoS = MqttQualityOfService.AtMostOnce },
                new MqttSubscription { TopicFilter = "$share/g/s/#", QoS = MqttQualityOfService.AtLeastOnce },
            ],
            Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [7], UserProperties = users } : null,
        });
        yield return ("suback", new SubAckPacket { PacketId = 3, ReasonCodes = [MqttReasonCode.GrantedQoS2, MqttReasonCode.GrantedQoS0, MqttReasonCode.UnspecifiedError] });
        yield return ("unsubscribe", new UnsubscribePacket { PacketId = 4, TopicFilters = ["a/+/c", "#"] });
        yield return ("unsuback", new UnsubAckPacket { PacketId = 4, ReasonCodes = [MqttReasonCode.Success, MqttReasonCode.NoSubscriptionExisted] });
        yield return ("pingreq", PingReqPacket.Instance);
        yield return ("pingresp", PingRespPacket.Instance);
        yield return ("disconnect", new DisconnectPacket { ReasonCode = v5 ? MqttReasonCode.DisconnectWithWillMessage : MqttReasonCode.Success, Properties = v5 ? new MqttProperties { SessionExpiryInterval = 0, ReasonString = "bye" } : null });
        if (v5)
        {
            yield return ("auth", new AuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, Properties = new MqttProperties { AuthenticationMethod = "SCRAM", AuthenticationData = new byte[] { 1, 2 } } });
        }
    }

    private static IEnumerable<(string Name, byte[] Bytes)> Conversations(MqttProtocolVersion version)
    {
        bool v5 = version == MqttProtocolVersion.V500;
        string p = $"v{(int)version}";
        var subscribe = new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "t/#", QoS = MqttQualityOfService.ExactlyOnce }], Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [3] } : null };
        var q0 = new PublishPacket { Topic = "t/a", Payload = new byte[] { 1 } };
        var q1 = new PublishPacket { Topic = "t/b", Payload = new byte[] { 2 }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 2, Retain = true };
        var q2 = new PublishPacket { Topic = "t/c", Payload = new byte[] { 3 }, QoS = MqttQualityOfService.ExactlyOnce, PacketId = 3 };
        yield return ($"{p}-connect-disconnect", Encode(version, Connect(version, "s1"), new DisconnectPacket()));
        yield return ($"{p}-subscribe-publish-all-qos", Encode(version, Connect(version, "s2"), subscribe, q0, q1, q2, new PubRelPacket { PacketId = 3 }, new PubAckPacket { PacketId = 1 }, new PubRecPacket { PacketId = 2 }, new PubCompPacket { PacketId = 2 }, PingReqPacket.Instance, new UnsubscribePacket { PacketId = 4, TopicFilters = ["t/#"] }, new DisconnectPacket()));
        yield return ($"{p}-will-then-drop", Encode(version, new ConnectPacket { ProtocolVersion = version, ClientId = "s3", Username = "u", Password = new byte[] { 1 }, KeepAlive = 1, Will = new MqttWill { Topic = "t/will", Payload = new byte[] { 4 }, QoS = MqttQualityOfService.AtLeastOnce, Retain = true, Properties = v5 ? new MqttProperties { WillDelayInterval = 0 } : null } }, subscribe));
        yield return ($"{p}-persistent-session", Encode(version, Connect(version, "s4", clean: false), subscribe, q1, new DisconnectPacket()));
        yield return ($"{p}-shared-subscription", Encode(version, Connect(version, "s5"), new SubscribePacket { PacketId = 5, Subscriptions = [new MqttSubscription { TopicFilter = "$share/g/t/#", QoS = MqttQualityOfService.AtLeastOnce }] }, q1));
        if (v5)
        {
            yield return ($"{p}-topic-alias", Encode(version, Connect(version, "s6"), subscribe, new PublishPacket { Topic = "t/alias", Payload = new byte[] { 5 }, Properties = new MqttProperties { TopicAlias = 1 } }, new PublishPacket { Topic = "", Payload = new byte[] { 6 }, Properties = new MqttProperties { TopicAlias = 1 } }));
            yield return ($"{p}-request-response", Encode(version, new ConnectPacket { ProtocolVersion = version, ClientId = "s7", KeepAlive = 30, Properties = new MqttProperties { RequestResponseInformation = 1, SessionExpiryInterval = 60 } }, new PublishPacket { Topic = "t/req", Payload = new byte[] { 7 }, QoS = MqttQualityOfService.AtLeastOnce, PacketId = 9, Properties = new MqttProperties { ResponseTopic = "t/resp", CorrelationData = new byte[] { 1 }, MessageExpiryInterval = 5 } }, new DisconnectPacket { ReasonCode = MqttReasonCode.DisconnectWithWillMessage, Properties = new MqttProperties { SessionExpiryInterval = 0 } }));
            yield return ($"{p}-auth", Encode(version, new ConnectPacket { ProtocolVersion = version, ClientId = "s8", KeepAlive = 30, Properties = new MqttProperties { AuthenticationMethod = "SCRAM", AuthenticationData = new byte[] { 1 } } }, new AuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, Properties = new MqttProperties { AuthenticationMethod = "SCRAM" } }));
        }
    }
}
