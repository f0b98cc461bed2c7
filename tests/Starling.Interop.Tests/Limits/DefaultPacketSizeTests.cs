using System.Globalization;
using MQTTnet.Protocol;
using Starling.Broker;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Limits;

/// <summary>
/// The default Maximum Packet Size (16 MiB, docs/configuration.md) lets real clients send legal large payloads, 1 MiB and
/// more, while a packet above it is still refused on its fixed header.
/// </summary>
public sealed class DefaultPacketSizeTests : BrokerTestBase
{
    [Theory]
    [InlineData(1024 * 1024)] // exactly 1 MiB of payload: refused by the old 1 MiB default, which counted the header
    [InlineData(8 * 1024 * 1024)]
    public async Task MosquittoPub_LargePayload_ReachesMqttNet_Intact(int size)
    {
        var payload = new byte[size];
        new Random(size).NextBytes(payload);
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, payload);
        try
        {
            await using var subscriber = await MqttNet.ConnectAsync(Broker, Id("big-sub"), MQTTnet.Formatter.MqttProtocolVersion.V500);
            await subscriber.SubscribeAsync("big/payload", MqttQualityOfServiceLevel.AtLeastOnce);

            var result = await Mosquitto.RunAsync("mosquitto_pub", ["-h", Broker.Host, "-p", Broker.Port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv5", "-q", "1", "-t", "big/payload", "-f", file], TimeSpan.FromSeconds(30));
            Assert.True(result.ExitCode == 0, result.Error);

            var message = subscriber.Next(TimeSpan.FromSeconds(20));
            Assert.NotNull(message);
            Assert.True(payload.AsSpan().SequenceEqual(System.Buffers.BuffersExtensions.ToArray(message.Payload)), "the payload changed on the way");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Default_IsAnnouncedInConnAck_AndAPacketAboveItIsDisconnect0x95()
    {
        int maximum = new BrokerOptions().MaximumPacketSize;
        Assert.Equal(16 * 1024 * 1024, maximum);
        var (client, connack) = await V5.V5Raw.ConnectAsync(Broker, Id("too-big"));
        await using var _ = client;
        Assert.Equal((uint)maximum, connack.Properties!.MaximumPacketSize);

        // A PUBLISH declaring one byte more than the maximum, of which only the fixed header is sent.
        int remaining = maximum - 5 + 1; // 5 header bytes (type + a four-byte length)
        await client.SendRawAsync(new byte[] { 0x30, (byte)(0x80 | (remaining & 0x7F)), (byte)(0x80 | ((remaining >> 7) & 0x7F)), (byte)(0x80 | ((remaining >> 14) & 0x7F)), (byte)(remaining >> 21) });
        await V5.V5Raw.ExpectDisconnectAsync(client, MqttReasonCode.PacketTooLarge);
    }
}
