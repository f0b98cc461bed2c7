using Starling.Broker.Storage;
using Starling.Mqtt;

namespace Starling.Storage.Tests;

public sealed class StoredMessageCodecTests
{
    [Theory]
    [InlineData(MqttQualityOfService.AtMostOnce, false, null)]
    [InlineData(MqttQualityOfService.AtLeastOnce, true, "client")]
    [InlineData(MqttQualityOfService.ExactlyOnce, false, "")]
    public void Encode_ThenDecode_GivesTheSameMessage(MqttQualityOfService qos, bool retain, string? sender)
    {
        var message = StoreSamples.Message("t/ü/x", "payload", qos, StoreSamples.Later) with { Retain = retain, SenderClientId = sender };
        StoredRecordAssert.Equal(message, StoredMessageCodec.Decode(StoredMessageCodec.Encode(message)));
    }

    [Fact]
    public void EmptyPayload_AndNoProperties_RoundTrip()
    {
        var message = new StoredMessage("t", [], MqttQualityOfService.AtLeastOnce, Retain: true, Properties: null, SenderClientId: null, ExpiresAtUtc: null);
        var decoded = StoredMessageCodec.Decode(StoredMessageCodec.Encode(message));
        Assert.Empty(decoded.Payload);
        Assert.Null(decoded.ExpiresAtUtc);
        Assert.True(decoded.Retain);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0x7F })]
    [InlineData(new byte[] { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x30, 0x05, 0x00 })]
    public void Garbage_IsRefused_NotMisread(byte[] data) =>
        Assert.Throws<InvalidDataException>(() => StoredMessageCodec.Decode(data));
}
