using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client.Tests;

public class PendingRequestsTests
{
    [Fact]
    public void Ids_start_at_one_and_skip_ids_in_use_when_wrapping()
    {
        var pending = new PendingRequests();
        var first = pending.Allocate(out _);
        Assert.Equal(1, first);

        for (var i = 2; i <= ushort.MaxValue; i++)
        {
            var id = pending.Allocate(out _);
            if (id != 2 && id != 3)
            {
                pending.Release(id);
            }
        }

        // 1, 2 and 3 are still in use; the counter has wrapped to 65535.
        Assert.Equal(4, pending.Allocate(out _));
        pending.Release(2);
        for (var i = 5; i <= ushort.MaxValue; i++)
        {
            pending.Release(pending.Allocate(out _));
        }

        Assert.Equal(2, pending.Allocate(out _));
    }

    [Fact]
    public async Task Answers_complete_the_waiting_request_and_fail_all_fails_them()
    {
        var pending = new PendingRequests();
        var id = pending.Allocate(out var answer);
        var ack = new PubAckPacket { PacketId = id };

        Assert.True(pending.TryComplete(id, ack));
        Assert.False(pending.TryComplete(id, ack));
        Assert.Same(ack, await answer);
        Assert.False(pending.TryComplete(999, ack));

        pending.Allocate(out var orphan);
        pending.FailAll(new InvalidOperationException("closed"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => orphan);
        Assert.Throws<MqttClientException>(() => pending.Allocate(out _));
    }
}
