using System.Diagnostics;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using static Starling.TestSupport.WireBytes;

namespace Starling.Interop.Tests.Robustness;

/// <summary>
/// Slow, silent and half-open clients against the running broker (ConnectTimeoutSeconds=1): each is closed by a
/// limit or a timer, holds no memory for what it declared, and never holds a thread (a normal client is answered
/// promptly meanwhile). Timing bounds are generous: the broker sweeps timeouts once a second and the machine is shared.
/// </summary>
public sealed class SlowClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private BrokerFixture _broker = null!;

    public async Task InitializeAsync() => _broker = await BrokerFixture.StartAsync(null, "--Starling:ConnectTimeoutSeconds=1");

    public async Task DisposeAsync() => await _broker.DisposeAsync();

    private static byte[] ValidConnect(string clientId) => Connect(MqttProtocolVersion.V311, 0x02, Str(clientId));

    /// <summary>A normal client connects, subscribes, publishes at QoS 1 and gets its own message; returns how long it took.</summary>
    private async Task<TimeSpan> RoundTripAsync()
    {
        var watch = Stopwatch.StartNew();
        var (client, connack) = await RawClient.ConnectAsync(_broker.Port, new ConnectPacket { ClientId = $"ok-{Guid.NewGuid():N}"[..20], KeepAlive = 60 });
        await using var _ = client;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "rt", QoS = MqttQualityOfService.AtLeastOnce }] });
        Assert.IsType<SubAckPacket>(await client.ReceiveAsync(Wait));
        await client.SendAsync(new PublishPacket { Topic = "rt", QoS = MqttQualityOfService.AtLeastOnce, PacketId = 2, Payload = new byte[] { 1 } });
        var first = await client.ReceiveAsync(Wait);
        var second = await client.ReceiveAsync(Wait);
        MqttPacket?[] packets = [first, second];
        Assert.Single(packets, p => p is PubAckPacket);
        Assert.Single(packets, p => p is PublishPacket);
        return watch.Elapsed;
    }

    [Fact]
    public async Task HalfAConnect_ThenSilence_IsClosedAfterTheConnectTimeout_WithoutHoldingAThread()
    {
        byte[] connect = ValidConnect("half");
        var silent = new List<RawClient>();
        for (int i = 0; i < 100; i++)
        {
            var client = await RawClient.ConnectAsync(_broker.Port);
            await client.SendRawAsync(connect.AsMemory(0, connect.Length / 2));
            silent.Add(client);
        }

        var watch = Stopwatch.StartNew();

        // 100 silent half-CONNECTs hold no thread: a normal client is served promptly meanwhile.
        Assert.True(await RoundTripAsync() < TimeSpan.FromSeconds(5));

        foreach (var client in silent)
        {
            Assert.True(await client.WaitForCloseAsync(Wait), "a half CONNECT stayed open");
            await client.DisposeAsync();
        }

        // ConnectTimeoutSeconds=1, swept once a second: closed within about 2 s of the accept.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"closed after {watch.Elapsed}");
        Assert.True(watch.Elapsed > TimeSpan.FromSeconds(0.5), $"closed already after {watch.Elapsed}");
    }

    [Fact]
    public async Task ConnectTrickledOneBytePer200ms_IsClosedByTheConnectTimeout()
    {
        // 80 bytes at 5 a second would take 16 s; the connect timeout (1 s) ends it long before.
        byte[] connect = ValidConnect(new string('t', 60));
        await using var client = await RawClient.ConnectAsync(_broker.Port);
        var closed = client.WaitForCloseAsync(Wait);
        var watch = Stopwatch.StartNew();
        int sent = 0;
        try
        {
            while (sent < connect.Length && !closed.IsCompleted)
            {
                await client.SendRawAsync(connect.AsMemory(sent, 1));
                sent++;
                await Task.WhenAny(closed, Task.Delay(200));
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
            // the broker closed while we were writing
        }

        Assert.True(await closed, "the trickling client was never closed");
        Assert.True(sent < connect.Length, "the whole CONNECT got through");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(8), $"closed after {watch.Elapsed}");
    }

    [Fact]
    public async Task PacketTrickledAfterConnect_IsClosedByKeepAlive()
    {
        // Keep-alive counts whole packets only: a PUBLISH that never completes does not keep the connection alive.
        var (client, connack) = await RawClient.ConnectAsync(_broker.Port, new ConnectPacket { ClientId = "trickle", KeepAlive = 1 });
        await using var _ = client;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        byte[] publish = Packet(0x30, Str("slow"), new byte[200]);
        var closed = client.WaitForCloseAsync(Wait);
        var watch = Stopwatch.StartNew();
        int sent = 0;
        try
        {
            while (sent < publish.Length && !closed.IsCompleted)
            {
                await client.SendRawAsync(publish.AsMemory(sent, 1));
                sent++;
                await Task.WhenAny(closed, Task.Delay(200));
            }
        }
        catch (System.Net.Sockets.SocketException)
        {
        }

        Assert.True(await closed, "the trickling client was never closed");
        Assert.True(sent < publish.Length);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"closed after {watch.Elapsed}");
    }

    [Fact]
    public async Task Declared256MB_IsRefusedAtOnce_And200SuchConnectionsHoldNoMemory()
    {
        byte[] header = [0x10, .. Length(268_435_455)]; // CONNECT declaring 256 MB, then nothing
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var clients = new List<RawClient>();
        for (int i = 0; i < 200; i++)
        {
            var client = await RawClient.ConnectAsync(_broker.Port);
            await client.SendRawAsync(header.AsMemory());
            clients.Add(client);
        }

        // The broker process (this one) holds nothing for them.
        long during = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(during - before < 32L * 1024 * 1024, $"heap grew by {(during - before) / 1024 / 1024} MB");

        var watch = Stopwatch.StartNew();
        foreach (var client in clients)
        {
            Assert.True(await client.WaitForCloseAsync(Wait), "a 256 MB declaration was not refused");
            await client.DisposeAsync();
        }

        // Refused on the header (MaximumPacketSize, 16 MiB by default), not by the 1 s connect timeout.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        Assert.True(await RoundTripAsync() < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task DeclaredUnderTheMaximum_ButNeverSent_HoldsOnlyWhatArrived()
    {
        // 200 connected clients each declare a 1,000,000-byte PUBLISH (under the 16 MiB maximum) and send 10 bytes of it.
        byte[] declared = [0x30, .. Length(1_000_000), 0, 4, (byte)'d', (byte)'e', (byte)'c', (byte)'l', 1, 2, 3, 4];
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var clients = new List<RawClient>();
        for (int i = 0; i < 200; i++)
        {
            var (client, connack) = await RawClient.ConnectAsync(_broker.Port, new ConnectPacket { ClientId = $"decl-{i}", KeepAlive = 0 });
            Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
            await client.SendRawAsync(declared);
            clients.Add(client);
        }

        Assert.True(await RoundTripAsync() < TimeSpan.FromSeconds(5));
        long during = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(during - before < 64L * 1024 * 1024, $"heap grew by {(during - before) / 1024 / 1024} MB for 200 declared megabytes");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task HalfOpenClient_ThatStopsReading_IsClosedByKeepAlive()
    {
        // Subscribes, then never reads and never sends again, and never closes: a half-open socket.
        var (client, connack) = await RawClient.ConnectAsync(_broker.Port, new ConnectPacket { ClientId = "half-open", CleanSession = false, KeepAlive = 1 });
        await using var _ = client;
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = "flood", QoS = MqttQualityOfService.AtLeastOnce }] });

        var watch = Stopwatch.StartNew();
        var (publisher, _) = await RawClient.ConnectAsync(_broker.Port, new ConnectPacket { ClientId = "flooder", KeepAlive = 60 });
        await using var _p = publisher;
        for (int i = 0; i < 50; i++)
        {
            await publisher.SendAsync(new PublishPacket { Topic = "flood", Payload = new byte[8 * 1024] });
        }

        while (!(_broker.Broker.Sessions.TryGet("half-open", out var session) && !session.IsConnected))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), "the half-open client is still connected");
            await Task.Delay(50);
        }

        // 1.5 x keep-alive (1 s), swept once a second.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"closed after {watch.Elapsed}");
        Assert.True(await RoundTripAsync() < TimeSpan.FromSeconds(5));
    }
}
