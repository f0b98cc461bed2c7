using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Starling.Broker.Hooks;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;
using Starling.TestSupport;

namespace Starling.Interop.Tests.Listeners;

/// <summary>
/// The two transports of a tcp listener, `Starling:TcpTransport` epoll (the Linux default, which every other test
/// here runs on) and sockets: the same behaviour at the edges where they differ in code, namely a socket buffer that
/// fills up, peers that reset, descriptors reused by later connections, and the addresses hooks see.
/// </summary>
public sealed class TcpTransportTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static TheoryData<string> Transports => ["epoll", "sockets"];

    private static Task<BrokerFixture> StartAsync(string transport, IEnumerable<BrokerHook>? hooks = null, params string[] settings) =>
        BrokerFixture.StartAsync(hooks, [$"--Starling:TcpTransport={transport}", .. settings]);

    private static async Task<RawClient> ConnectAsync(IPEndPoint endPoint, string clientId, Action<Socket>? configure = null)
    {
        var client = await RawClient.ConnectAsync(endPoint, MqttProtocolVersion.V311, configure);
        await client.SendAsync(new ConnectPacket { ClientId = clientId, KeepAlive = 60 });
        var connack = await client.ReceiveAsync<ConnAckPacket>();
        Assert.Equal(MqttReasonCode.Success, connack.ReasonCode);
        return client;
    }

    private static async Task SubscribeAsync(RawClient client, string filter, MqttQualityOfService qos = MqttQualityOfService.AtMostOnce)
    {
        await client.SendAsync(new SubscribePacket { PacketId = 1, Subscriptions = [new MqttSubscription { TopicFilter = filter, QoS = qos }] });
        await client.ReceiveAsync<SubAckPacket>();
    }

    private static byte[] Payload(int index, int size)
    {
        var payload = new byte[size];
        new Random(index).NextBytes(payload);
        BitConverter.TryWriteBytes(payload, index);
        return payload;
    }

    /// <summary>
    /// A subscriber with a 4 KB receive buffer reads nothing for a while: the broker's socket buffer fills and its
    /// sends have to wait for room (epoll: the "writable" edge). Once it reads, every message arrives whole and in
    /// order, small and large (shared, vectored) payloads alike.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ASubscriberThatReadsLate_GetsEveryByteInOrder_AfterTheBrokersSendsHadToWait(string transport)
    {
        await using var broker = await StartAsync(transport, null, "--Starling:MaximumSendBufferBytes=67108864");
        var endPoint = new IPEndPoint(IPAddress.Loopback, broker.Port);
        await using var subscriber = await ConnectAsync(endPoint, "late-reader", s => s.ReceiveBufferSize = 4096);
        await SubscribeAsync(subscriber, "late/#");
        await using var publisher = await ConnectAsync(endPoint, "flooder");

        // 24 MB in all: below the (raised) send buffer limit, so QoS 0 is kept, and far above what the kernel's socket
        // buffers take on loopback (the send buffer autotunes up to 4 MiB).
        const int count = 900;
        int[] sizes = [100, 20_000, 60_000];
        for (int i = 0; i < count; i++)
        {
            await publisher.SendAsync(new PublishPacket { Topic = $"late/{i % 7}", Payload = Payload(i, sizes[i % sizes.Length]) });
        }

        await Task.Delay(1000); // the subscriber reads nothing meanwhile
        for (int i = 0; i < count; i++)
        {
            var publish = Assert.IsType<PublishPacket>(await subscriber.ReceiveAsync(Wait));
            Assert.Equal($"late/{i % 7}", publish.Topic);
            Assert.Equal(Payload(i, sizes[i % sizes.Length]), publish.Payload.ToArray());
        }
    }

    /// <summary>
    /// Connections dropped with a reset free their descriptors for later connections (the same numbers, on epoll the
    /// same loop slots): each live client gets its own messages only, and the broker counts the dropped ones out.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task ConnectionsDroppedByReset_AreCountedOut_AndTheirSuccessorsGetOnlyTheirOwnMessages(string transport)
    {
        await using var broker = await StartAsync(transport);
        var endPoint = new IPEndPoint(IPAddress.Loopback, broker.Port);
        var live = new Dictionary<int, RawClient>();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                live[i] = await ConnectAsync(endPoint, $"reuse-{i}");
                await SubscribeAsync(live[i], $"reuse/{i}");
            }

            for (int i = 0; i < 200; i += 2)
            {
                live[i].Drop();
                await live[i].DisposeAsync();
                live.Remove(i);
            }

            for (int i = 200; i < 300; i++)
            {
                live[i] = await ConnectAsync(endPoint, $"reuse-{i}");
                await SubscribeAsync(live[i], $"reuse/{i}");
            }

            await using var publisher = await ConnectAsync(endPoint, "reuse-publisher");
            for (int i = 0; i < 300; i++)
            {
                await publisher.SendAsync(new PublishPacket { Topic = $"reuse/{i}", Payload = BitConverter.GetBytes(i) });
            }

            foreach (var (i, client) in live)
            {
                var publish = Assert.IsType<PublishPacket>(await client.ReceiveAsync(Wait));
                Assert.Equal($"reuse/{i}", publish.Topic);
                Assert.Equal(i, BitConverter.ToInt32(publish.Payload.Span));
            }

            var listener = broker.Service.Listeners.Single(l => l.Type == "tcp");
            await WaitUntilAsync(() => listener.ConnectionCount == live.Count + 1);
            Assert.Equal(live.Count + 1, listener.ConnectionCount);
        }
        finally
        {
            foreach (var client in live.Values)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// A subscriber that stops reading and then resets its connection while the broker is still sending to it: the
    /// broker notices, runs OnClose, counts it out, and goes on serving the publisher.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task APeerThatResetsWhileTheBrokerSends_IsClosedAndCountedOut(string transport)
    {
        var closes = new CloseRecorder();
        await using var broker = await StartAsync(transport, [closes]);
        var endPoint = new IPEndPoint(IPAddress.Loopback, broker.Port);
        var stalled = await ConnectAsync(endPoint, "resetter", s => s.ReceiveBufferSize = 4096);
        await SubscribeAsync(stalled, "flood");
        await using var publisher = await ConnectAsync(endPoint, "flood-publisher");
        await SubscribeAsync(publisher, "echo");
        for (int i = 0; i < 300; i++)
        {
            await publisher.SendAsync(new PublishPacket { Topic = "flood", Payload = Payload(i, 8_000) });
        }

        stalled.Drop();
        await stalled.DisposeAsync();
        Assert.True(await closes.ClosedAsync("resetter", Wait), "OnClose did not run for the reset connection");
        var listener = broker.Service.Listeners.Single(l => l.Type == "tcp");
        await WaitUntilAsync(() => listener.ConnectionCount == 1);
        Assert.Equal(1, listener.ConnectionCount);

        await publisher.SendAsync(new PublishPacket { Topic = "echo", Payload = new byte[] { 42 } });
        var echo = Assert.IsType<PublishPacket>(await publisher.ReceiveAsync(Wait));
        Assert.Equal(new byte[] { 42 }, echo.Payload.ToArray());
    }

    /// <summary>OnAccept and the client info see the peer's address and port and the local end point, IPv4 and IPv6.</summary>
    [Theory]
    [InlineData("epoll", "127.0.0.1", "127.0.0.1")]
    [InlineData("sockets", "127.0.0.1", "127.0.0.1")]
    [InlineData("epoll", "::", "127.0.0.1")]
    [InlineData("sockets", "::", "127.0.0.1")]
    [InlineData("epoll", "::", "::1")]
    [InlineData("sockets", "::", "::1")]
    public async Task Hooks_SeeThePeersAddressAndPort_AndTheLocalEndPoint(string transport, string bind, string connectTo)
    {
        var addresses = new AddressRecorder();
        await using var broker = await StartAsync(transport, [addresses], $"--bind={bind}");
        var target = new IPEndPoint(IPAddress.Parse(connectTo), broker.Port);
        await using var client = await ConnectAsync(target, "where-from");
        var local = client.LocalEndPoint;

        // A dual-mode listener sees an IPv4 client as an IPv4-mapped IPv6 address, as .NET's Socket reports it.
        var expectedRemote = bind == "::" && local.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(local.Address.MapToIPv6(), local.Port)
            : local;
        var expectedLocal = bind == "::" && target.AddressFamily == AddressFamily.InterNetwork
            ? new IPEndPoint(target.Address.MapToIPv6(), target.Port)
            : target;
        Assert.Equal(expectedRemote, addresses.AcceptRemote);
        Assert.Equal(expectedLocal, addresses.AcceptLocal);
        Assert.Equal(expectedRemote, addresses.ConnectRemote);
    }

    /// <summary>
    /// The listener's handshake deadline closes the connection while a slow OnAccept hook still holds it, before the
    /// engine ever had it: the client sees the close, and the listener and the broker count nothing left open.
    /// </summary>
    [Theory]
    [MemberData(nameof(Transports))]
    public async Task AConnectionClosedByTheDeadlineWhileOnAcceptRuns_IsClosedAndCountedOut(string transport)
    {
        var slow = new SlowAccept(TimeSpan.FromSeconds(2));
        await using var broker = await StartAsync(transport, [slow], "--Starling:Listeners:main:Type=tcp", "--Starling:Listeners:main:HandshakeTimeoutSeconds=1");
        var endPoint = new IPEndPoint(IPAddress.Loopback, broker.PortOf("main"));
        await using var client = await RawClient.ConnectAsync(endPoint, MqttProtocolVersion.V311);
        await client.SendAsync(new ConnectPacket { ClientId = "too-slow", KeepAlive = 60 });
        Assert.True(await client.WaitForCloseAsync(Wait), "the handshake deadline did not close the connection");
        await slow.Released.Task.WaitAsync(Wait);

        var listener = broker.Service.Listeners.Single(l => l.Name == "main");
        await WaitUntilAsync(() => listener.ConnectionCount == 0 && broker.Broker.ConnectionCount == 0);
        Assert.Equal(0, listener.ConnectionCount);
        Assert.Equal(0, broker.Broker.ConnectionCount);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
    }

    private sealed class CloseRecorder : BrokerHook
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _closed = new();

        public override ValueTask OnCloseAsync(CloseContext context, CancellationToken cancellationToken)
        {
            if (context.Client is { } client)
            {
                Closed(client.ClientId).TrySetResult();
            }

            return ValueTask.CompletedTask;
        }

        public async Task<bool> ClosedAsync(string clientId, TimeSpan timeout)
        {
            var closed = Closed(clientId).Task;
            return await Task.WhenAny(closed, Task.Delay(timeout)) == closed;
        }

        private TaskCompletionSource Closed(string clientId) =>
            _closed.GetOrAdd(clientId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    private sealed class SlowAccept(TimeSpan delay) : BrokerHook
    {
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<bool> OnAcceptAsync(AcceptContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(delay, cancellationToken);
            Released.TrySetResult();
            return true;
        }
    }

    private sealed class AddressRecorder : BrokerHook
    {
        public EndPoint? AcceptRemote { get; private set; }

        public EndPoint? AcceptLocal { get; private set; }

        public EndPoint? ConnectRemote { get; private set; }

        public override ValueTask<bool> OnAcceptAsync(AcceptContext context, CancellationToken cancellationToken)
        {
            AcceptRemote = context.RemoteEndPoint;
            AcceptLocal = context.LocalEndPoint;
            return ValueTask.FromResult(true);
        }

        public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
        {
            ConnectRemote = context.Client.RemoteEndPoint;
            return ValueTask.FromResult(MqttReasonCode.Success);
        }
    }
}
