using Starling.Broker.Tests.Engine;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Fuzz;

/// <summary>Inputs the fuzzer (fuzz/Starling.Fuzz) found to break the engine, kept as regression tests.</summary>
public sealed class FuzzRegressionTests : IAsyncLifetime
{
    private readonly MqttBroker _broker = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    /// <summary>
    /// Found by the connection target: a 3.1 CONNECT whose retained will topic is "t+will". The will was accepted,
    /// and publishing it when the connection ended threw ArgumentException from the retained store out of
    /// TransportClosedAsync. The will topic is now checked at CONNECT.
    /// </summary>
    [Fact]
    public async Task FoundInput_WillTopicWithWildcard_DoesNotThrowOnClose()
    {
        byte[] input = Convert.FromHexString("102100064D514973647003EE0001000273330006742B77696C6C000104000175000101820800010003742F2302");
        var client = new InMemoryTransport(_broker, MqttProtocolVersion.V310);
        await client.FeedAsync(input);
        client.Close();
        await client.Connection.TransportClosedAsync(); // must not throw
        Assert.Null(await client.NextAsync()); // no CONNACK before 5.0: closed
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "a/+")]
    [InlineData(MqttProtocolVersion.V311, "#")]
    [InlineData(MqttProtocolVersion.V311, "")]
    [InlineData(MqttProtocolVersion.V500, "a+b")]
    [InlineData(MqttProtocolVersion.V500, "")]
    public async Task WillTopicNotAValidTopicName_IsRefusedAtConnect(MqttProtocolVersion version, string topic)
    {
        var client = new InMemoryTransport(_broker, version);
        await client.SendPacketAsync(new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = "bad-will",
            KeepAlive = 60,
            Will = new MqttWill { Topic = topic, Payload = new byte[] { 1 }, Retain = true },
        });
        var answer = await client.NextAsync();
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal(MqttReasonCode.TopicNameInvalid, Assert.IsType<ConnAckPacket>(answer).ReasonCode);
            Assert.Null(await client.NextAsync());
        }
        else
        {
            Assert.Null(answer);
        }

        await client.Connection.TransportClosedAsync();
        Assert.Equal(0, _broker.RetainedMessages.Count);
    }
}
