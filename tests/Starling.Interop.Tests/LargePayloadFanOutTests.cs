using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>
/// Large payloads are shared by every subscriber's send, not copied (a vectored send over TCP): whatever the mix of
/// small and large messages, each subscriber receives every byte, in order, with its own per-delivery properties.
/// </summary>
public sealed class LargePayloadFanOutTests : BrokerTestBase
{
    private static byte[] Payload(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311)]
    [InlineData(MqttProtocolVersion.V500)]
    public async Task MixedSizes_ReachEverySubscriber_Intact_AndInOrder(MqttProtocolVersion version)
    {
        int[] sizes = [0, 10, 1023, 1024, 1025, 4096, 70_000, 5, 300_000, 1024, 2, 65_536];
        var subscribers = new List<MqttNet>();
        for (int i = 0; i < 3; i++)
        {
            var subscriber = await MqttNet.ConnectAsync(Broker, Id($"sub{i}"), version);
            var filter = new MqttClientSubscribeOptionsBuilder().WithTopicFilter("big/#", MqttQualityOfServiceLevel.AtLeastOnce);
            if (version == MqttProtocolVersion.V500)
            {
                filter.WithSubscriptionIdentifier((uint)(i + 1));
            }

            await subscriber.Client.SubscribeAsync(filter.Build());
            subscribers.Add(subscriber);
        }

        await using var publisher = await MqttNet.ConnectAsync(Broker, Id("pub"), version);
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                var message = new MqttApplicationMessageBuilder().WithTopic($"big/{i}").WithPayload(Payload(sizes[i], (round * 100) + i))
                    .WithQualityOfServiceLevel(i % 2 == 0 ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce);
                if (version == MqttProtocolVersion.V500)
                {
                    message.WithUserProperty("n", System.Text.Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).WithContentType("application/octet-stream");
                }

                await publisher.Client.PublishAsync(message.Build());
            }
        }

        for (int s = 0; s < subscribers.Count; s++)
        {
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < sizes.Length; i++)
                {
                    var received = subscribers[s].Next(TimeSpan.FromSeconds(10)) ?? throw new TimeoutException($"subscriber {s}, round {round}, message {i}");
                    Assert.Equal($"big/{i}", received.Topic);
                    Assert.Equal(Payload(sizes[i], (round * 100) + i), System.Buffers.BuffersExtensions.ToArray(received.Payload));
                    if (version == MqttProtocolVersion.V500)
                    {
                        Assert.Equal([(uint)(s + 1)], received.SubscriptionIdentifiers);
                        Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.UTF8.GetString(received.UserProperties.Single().ValueBuffer.Span));
                        Assert.Equal("application/octet-stream", received.ContentType);
                    }
                }
            }

            await subscribers[s].DisposeAsync();
        }
    }
}
