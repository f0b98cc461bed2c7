using System.Buffers;
using System.Diagnostics;
using Starling.Mqtt.Packets;
using static Starling.Mqtt.Tests.TestHelpers;

namespace Starling.Mqtt.Tests;

/// <summary>Random and mutated input: only <see cref="MqttProtocolException"/> may escape the reader.</summary>
public class FuzzTests
{
    private static readonly MqttProtocolVersion[] ReadVersions = [MqttProtocolVersion.Unknown, .. AllVersions];

    private static List<byte[]> ValidCorpus()
    {
        var users = new List<MqttUserProperty> { new("k", "v") };
        var corpus = new List<byte[]>();
        foreach (MqttProtocolVersion version in AllVersions)
        {
            bool v5 = version == MqttProtocolVersion.V500;
            MqttPacket[] packets =
            [
                new ConnectPacket
                {
                    ProtocolVersion = version, ClientId = "cid", Username = "u", Password = new byte[] { 1 }, KeepAlive = 5,
                    Will = new MqttWill { Topic = "w", Payload = new byte[] { 2 }, QoS = MqttQualityOfService.AtLeastOnce, Properties = v5 ? new MqttProperties { WillDelayInterval = 1, UserProperties = users } : null },
                    Properties = v5 ? new MqttProperties { SessionExpiryInterval = 1, ReceiveMaximum = 3, UserProperties = users } : null,
                },
                new ConnAckPacket { SessionPresent = version != MqttProtocolVersion.V310, Properties = v5 ? new MqttProperties { MaximumQoS = 1, ReasonString = "r" } : null },
                new PublishPacket { Topic = "a/b", Payload = new byte[] { 1, 2, 3 }, QoS = MqttQualityOfService.ExactlyOnce, PacketId = 3, Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [1, 2], ContentType = "c" } : null },
                new PublishPacket { Topic = "x", Payload = new byte[] { 9 } },
                new PubAckPacket { PacketId = 1 },
                new PubRecPacket { PacketId = 1, ReasonCode = v5 ? MqttReasonCode.UnspecifiedError : MqttReasonCode.Success },
                new PubRelPacket { PacketId = 1, Properties = v5 ? new MqttProperties { ReasonString = "x" } : null },
                new PubCompPacket { PacketId = 1 },
                new SubscribePacket { PacketId = 4, Subscriptions = [new MqttSubscription { TopicFilter = "a/#", QoS = MqttQualityOfService.AtLeastOnce }], Properties = v5 ? new MqttProperties { SubscriptionIdentifiers = [5] } : null },
                new SubAckPacket { PacketId = 4, ReasonCodes = [MqttReasonCode.GrantedQoS1] },
                new UnsubscribePacket { PacketId = 5, TopicFilters = ["a/#"] },
                new UnsubAckPacket { PacketId = 5, ReasonCodes = [MqttReasonCode.Success] },
                PingReqPacket.Instance,
                PingRespPacket.Instance,
                new DisconnectPacket { ReasonCode = v5 ? MqttReasonCode.ServerBusy : MqttReasonCode.Success, Properties = v5 ? new MqttProperties { ReasonString = "busy" } : null },
            ];
            corpus.AddRange(packets.Select(p => Encode(p, version)));
            if (v5)
            {
                corpus.Add(Encode(new AuthPacket { ReasonCode = MqttReasonCode.ContinueAuthentication, Properties = new MqttProperties { AuthenticationMethod = "m" } }, version));
            }
        }

        return corpus;
    }

    private static void Feed(byte[] bytes, bool segmented, uint maximumPacketSize, IEnumerable<MqttProtocolVersion> versions)
    {
        foreach (MqttProtocolVersion version in versions)
        {
            ReadOnlySequence<byte> buffer = segmented ? Segmented(bytes, 3) : new ReadOnlySequence<byte>(bytes);
            try
            {
                while (MqttPacketReader.TryRead(ref buffer, version, maximumPacketSize, out MqttPacket? packet))
                {
                    Assert.NotNull(packet);
                }
            }
            catch (MqttProtocolException e)
            {
                Assert.False(string.IsNullOrEmpty(e.Rule));
            }
        }
    }

    [Fact]
    public void RandomAndMutatedInput_OnlyThrowsMqttProtocolException()
    {
        var random = new Random(20240601);
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < 50_000; i++)
        {
            int length = random.Next(0, 48);
            byte[] bytes = new byte[length];
            random.NextBytes(bytes);
            if (length >= 2 && random.Next(2) == 0 && length - 2 < 128)
            {
                // Half of them get a consistent remaining length, to reach past the fixed header.
                bytes[1] = (byte)(length - 2);
            }

            // Random bytes rarely get past the fixed header: one version each (in turn) keeps this fast.
            Feed(bytes, segmented: (i & 7) == 0, maximumPacketSize: 1 << 16, [ReadVersions[i % ReadVersions.Length]]);
        }

        List<byte[]> corpus = ValidCorpus();
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new List<byte>(corpus[random.Next(corpus.Count)]);
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations; m++)
            {
                int position = random.Next(bytes.Count + 1);
                switch (random.Next(3))
                {
                    case 0 when position < bytes.Count:
                        bytes[position] ^= (byte)(1 << random.Next(8));
                        break;
                    case 1:
                        bytes.Insert(position, (byte)random.Next(256));
                        break;
                    default:
                        if (position < bytes.Count)
                        {
                            bytes.RemoveAt(position);
                        }

                        break;
                }
            }

            Feed([.. bytes], segmented: (i & 3) == 0, maximumPacketSize: (uint)random.Next(1, 200), ReadVersions);
        }

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"Fuzzing took {stopwatch.Elapsed}.");
    }
}
