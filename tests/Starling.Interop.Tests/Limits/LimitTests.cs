using System.Diagnostics;
using System.Net.Sockets;
using MQTTnet.Protocol;
using Starling.Broker;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Limits;

/// <summary>Each configured limit, hit against the running broker over real sockets, answered as documented and counted.</summary>
public sealed class LimitTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task MaximumConnections_ClosesTheExtraConnectionAtAccept()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumConnections=2");
        var (a, _) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "a", KeepAlive = 60 });
        var (b, _) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "b", KeepAlive = 60 });
        await using var _a = a;
        await using var _b = b;
        await using var third = await RawClient.ConnectAsync(broker.Port);
        Assert.True(await third.WaitForCloseAsync(Wait));
        Assert.Equal(1, broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.MaximumConnections)));
    }

    [Fact]
    public async Task MaximumConnectionRatePerAddress_ClosesConnectionsOverTheRate()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumConnectionRatePerAddress=3");
        var clients = new List<RawClient>();
        for (int i = 0; i < 5; i++)
        {
            clients.Add(await RawClient.ConnectAsync(broker.Port));
        }

        int closed = 0;
        foreach (var client in clients)
        {
            if (await client.WaitForCloseAsync(TimeSpan.FromMilliseconds(300)))
            {
                closed++;
            }

            await client.DisposeAsync();
        }

        Assert.True(closed >= 2, $"{closed} of 5 closed"); // 3 per second pass; the rest are refused at accept
        Assert.True(broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.MaximumConnectionRatePerAddress)) >= 2);
    }

    [Fact]
    public async Task TopicLongerThanTheLimit_ClosesThePublisher_AndFilterFailsAlone()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumTopicLength=16", "--Starling:MaximumTopicLevels=3");
        var (sub, _) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "s", KeepAlive = 60 });
        await using var _s = sub;
        await sub.SendAsync(new SubscribePacket
        {
            PacketId = 1,
            Subscriptions =
            [
                new MqttSubscription { TopicFilter = "short/+" },
                new MqttSubscription { TopicFilter = "this/filter/is/far/too/long" },
                new MqttSubscription { TopicFilter = "a/b/c/d" },
            ],
        });
        var suback = Assert.IsType<SubAckPacket>(await sub.ReceiveAsync(Wait));
        Assert.Equal([MqttReasonCode.GrantedQoS0, MqttReasonCode.UnspecifiedError, MqttReasonCode.UnspecifiedError], suback.ReasonCodes);

        var (pub, _) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ProtocolVersion = Starling.Mqtt.MqttProtocolVersion.V500, ClientId = "p", KeepAlive = 60 });
        await using var _p = pub;
        await pub.SendAsync(new PublishPacket { Topic = "a-topic-name-longer-than-sixteen" });
        var disconnect = Assert.IsType<DisconnectPacket>(await pub.ReceiveAsync(Wait));
        Assert.Equal(MqttReasonCode.TopicNameInvalid, disconnect.ReasonCode);
        Assert.True(await pub.WaitForCloseAsync(Wait));
    }

    [Fact]
    public async Task MaximumSubscriptionsPerClient_ExtraFiltersGetQuotaExceeded()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumSubscriptionsPerClient=2");
        await using var client = await MqttNet.ConnectAsync(broker, "subs", MQTTnet.Formatter.MqttProtocolVersion.V500);
        await client.SubscribeAsync("one", MqttQualityOfServiceLevel.AtMostOnce);
        await client.SubscribeAsync("two", MqttQualityOfServiceLevel.AtMostOnce);
        var third = await client.SubscribeAsync("three", MqttQualityOfServiceLevel.AtMostOnce);
        Assert.Equal(MQTTnet.MqttClientSubscribeResultCode.QuotaExceeded, third.Items.Single().ResultCode);
        var again = await client.SubscribeAsync("one", MqttQualityOfServiceLevel.AtLeastOnce); // replacing is not a new subscription
        Assert.Equal(MQTTnet.MqttClientSubscribeResultCode.GrantedQoS1, again.Items.Single().ResultCode);
    }

    [Fact]
    public async Task MaximumQueuedBytes_BoundsAnOfflineSession()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumQueuedBytes=3000");
        await using (var first = await MqttNet.ConnectAsync(broker, "bytes", cleanSession: false))
        {
            await first.SubscribeAsync("big", MqttQualityOfServiceLevel.AtLeastOnce);
        }

        for (int i = 0; i < 200 && !(broker.Broker.Sessions.TryGet("bytes", out var s) && !s.IsConnected); i++)
        {
            await Task.Delay(10);
        }

        await using (var publisher = await MqttNet.ConnectAsync(broker, "pub"))
        {
            for (int i = 0; i < 5; i++)
            {
                await publisher.PublishAsync("big", new string('x', 1000), MqttQualityOfServiceLevel.AtLeastOnce);
            }
        }

        Assert.True(broker.Broker.Sessions.TryGet("bytes", out var queued));
        Assert.Equal(3, queued.PendingCount); // 3 x 1000 bytes fit; the other two were dropped and counted
        Assert.Equal(2, broker.Broker.Metrics.QueueFullDroppedTotal);

        var (again, connack) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "bytes", CleanSession = false, KeepAlive = 60 });
        await using var _a = again;
        Assert.True(connack.SessionPresent);
        for (int i = 0; i < 3; i++)
        {
            var publish = Assert.IsType<PublishPacket>(await again.ReceiveAsync(Wait));
            Assert.Equal(1000, publish.Payload.Length);
            await again.SendAsync(new PubAckPacket { PacketId = publish.PacketId });
        }

        await again.SendAsync(PingReqPacket.Instance);
        Assert.IsType<PingRespPacket>(await again.ReceiveAsync(Wait));
    }

    [Fact]
    public async Task MaximumPublishRate_SlowsThePublisher_WithoutDroppingAnything()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumPublishRate=20");
        await using var subscriber = await MqttNet.ConnectAsync(broker, "rate-sub");
        await subscriber.SubscribeAsync("rate/t", MqttQualityOfServiceLevel.AtLeastOnce);
        await using var publisher = await MqttNet.ConnectAsync(broker, "rate-pub");
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < 50; i++)
        {
            await publisher.PublishAsync("rate/t", i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttQualityOfServiceLevel.AtLeastOnce);
        }

        watch.Stop();
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(1.5), $"50 messages at 20/s took {watch.Elapsed}");
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), MqttNet.Text(subscriber.Next()));
        }

        Assert.True(broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.MaximumPublishRate)) > 0);
    }

    [Fact]
    public async Task SendTimeout_DisconnectsASubscriberThatStoppedReading_OthersKeepReceiving()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:SendTimeoutSeconds=1", "--Starling:MaximumSendBufferBytes=65536");

        // A subscriber that never reads: a socket with a tiny receive buffer.
        var stalled = await SubscribeRawAsync(broker, "stalled", "flood", receiveBufferSize: 4096);

        await using var healthy = await MqttNet.ConnectAsync(broker, "healthy");
        await healthy.SubscribeAsync("flood", MqttQualityOfServiceLevel.AtMostOnce);
        while (broker.Broker.SubscriptionCount < 2)
        {
            await Task.Delay(10);
        }

        var payload = new byte[16 * 1024];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(8);
        while (broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.SendTimeoutSeconds)) == 0 && DateTime.UtcNow < deadline)
        {
            broker.Broker.Publish("flood", payload);
            await Task.Delay(2);
        }

        Assert.Equal(1, broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.SendTimeoutSeconds)));
        broker.Broker.Publish("flood", "after"u8.ToArray());
        MQTTnet.MqttApplicationMessage? last = null;
        while (healthy.Next(TimeSpan.FromSeconds(2)) is { } message)
        {
            last = message;
        }

        Assert.Equal("after", last is null ? null : MqttNet.Text(last));
        stalled.Dispose();
    }

    [Fact]
    public async Task SendTimeout_SparesASubscriberThatReadsSlowlyButSteadily()
    {
        // 14 MiB wait for a subscriber that reads about 1 MB/s: beyond what the kernel's socket buffers hold (up to 4 MiB
        // here), draining takes about 10 s, twice the 5 s timeout, but the socket takes bytes all along. The timeout
        // counts from the last progress, so the client stays connected. (The broker sees progress each time the kernel
        // has room for more: about a third of its send buffer, some 1.3 MiB here, so about every 1.3 s.)
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:SendTimeoutSeconds=5", "--Starling:MaximumSendBufferBytes=33554432");
        var slow = await SubscribeRawAsync(broker, "slow", "bulk", receiveBufferSize: 65536);
        while (broker.Broker.SubscriptionCount < 1)
        {
            await Task.Delay(10);
        }

        const int Messages = 224;
        var payload = new byte[64 * 1024];
        for (int i = 0; i < Messages; i++)
        {
            broker.Broker.Publish("bulk", payload);
        }

        long expected = 4 + 5 + (Messages * (1 + 3 + 2 + 4 + payload.Length)); // CONNACK, SUBACK, each QoS 0 PUBLISH: type, 3-byte length, topic "bulk", payload
        long received = 0;
        var buffer = new byte[32 * 1024];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (received < expected && DateTime.UtcNow < deadline)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int n = await slow.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            if (n == 0)
            {
                break;
            }

            received += n;
            await Task.Delay(30); // about 1 MB/s at most
        }

        Assert.Equal(0, broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.SendTimeoutSeconds)));
        Assert.Equal(expected, received);
        slow.Dispose();
    }

    /// <summary>A bare socket that sends CONNECT and SUBSCRIBE (3.1.1, QoS 0) and then reads only when the test does.</summary>
    private static async Task<Socket> SubscribeRawAsync(BrokerFixture broker, string clientId, string filter, int receiveBufferSize)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = receiveBufferSize };
        await socket.ConnectAsync(broker.Host, broker.Port);
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(new ConnectPacket { ClientId = clientId, KeepAlive = 0 }, Starling.Mqtt.MqttProtocolVersion.V311, writer);
        MqttPacketWriter.Write(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = filter }] }, Starling.Mqtt.MqttProtocolVersion.V311, writer);
        await socket.SendAsync(writer.WrittenMemory);
        return socket;
    }

    [Fact]
    public async Task AllowAnonymousFalse_RefusesAClientWithoutUserName()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:AllowAnonymous=false");
        var (anonymous, connack) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "anon", KeepAlive = 60 });
        await using var _a = anonymous;
        Assert.Equal(MqttReasonCode.NotAuthorized, connack.ReasonCode); // 3.1.1 return code 5
        var (named, ok) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "named", Username = "someone", KeepAlive = 60 });
        await using var _n = named;
        Assert.Equal(MqttReasonCode.Success, ok.ReasonCode);
    }

    [Fact]
    public async Task PacketSize_ClientIdLength_AndInflightWindow_AreCountedWhenHit()
    {
        await using var broker = await BrokerFixture.StartAsync(null, "--Starling:MaximumPacketSize=256", "--Starling:MaximumClientIdLength=8", "--Starling:MaximumInflightMessages=1");
        var (longId, refused) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "much-too-long-id", KeepAlive = 60 });
        await using var _l = longId;
        Assert.Equal(MqttReasonCode.ClientIdentifierNotValid, refused.ReasonCode);
        Assert.Equal(1, broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.MaximumClientIdLength)));

        var (big, _) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "big", KeepAlive = 60 });
        await using var _b = big;
        await big.SendAsync(new PublishPacket { Topic = "t", Payload = new byte[1000] });
        Assert.True(await big.WaitForCloseAsync(Wait));
        Assert.Equal(1, broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.MaximumPacketSize)));

        var (slow, _) = await RawClient.ConnectAsync(broker.Port, new ConnectPacket { ClientId = "slow", KeepAlive = 60 });
        await using var _s = slow;
        await slow.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "w", QoS = MqttQualityOfService.AtLeastOnce }] });
        Assert.IsType<SubAckPacket>(await slow.ReceiveAsync(Wait));
        broker.Broker.Publish("w", "1"u8.ToArray(), MqttQualityOfService.AtLeastOnce);
        broker.Broker.Publish("w", "2"u8.ToArray(), MqttQualityOfService.AtLeastOnce); // waits: window of 1, first not acked
        Assert.IsType<PublishPacket>(await slow.ReceiveAsync(Wait));
        Assert.Equal(1, broker.Broker.Metrics.LimitHits(nameof(BrokerOptions.MaximumInflightMessages)));
    }
}
