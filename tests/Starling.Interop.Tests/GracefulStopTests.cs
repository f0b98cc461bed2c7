using MQTTnet;
using MQTTnet.Formatter;
using Starling.Broker.Hooks;
using Starling.Interop.Tests.Infrastructure;

namespace Starling.Interop.Tests;

/// <summary>The graceful stop: every client closed, every OnClose completed, then OnStop, then the host ends.</summary>
public sealed class GracefulStopTests
{
    [Fact]
    public async Task Stop_ClosesClients_WaitsForOnClose_ThenRunsOnStop()
    {
        var hook = new RecordingHook();
        var broker = await BrokerFixture.StartAsync([hook]);
        var v5 = await MqttNet.ConnectAsync(broker, "stop-v5", MqttProtocolVersion.V500);
        var v311 = await MqttNet.ConnectAsync(broker, "stop-v311");
        var (raw, _) = await RawClient.ConnectAsync(broker.Port, new Starling.Mqtt.Packets.ConnectPacket { ClientId = "stop-raw", KeepAlive = 60 });

        await broker.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        var reason = await v5.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(MqttClientDisconnectReason.ServerShuttingDown, reason.Reason); // 5.0: DISCONNECT 0x8B
        await v311.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(await raw.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(["stop-raw", "stop-v311", "stop-v5"], hook.Closed.OrderBy(c => c, StringComparer.Ordinal));
        Assert.Equal(3, hook.ClosedBeforeStop);
        Assert.Equal(0, broker.Broker.ConnectionCount);

        await raw.DisposeAsync();
        await v5.DisposeAsync();
        await v311.DisposeAsync();
        await broker.DisposeAsync();
    }

    private sealed class RecordingHook : BrokerHook
    {
        private int _stopped;

        public List<string> Closed { get; } = [];

        public int ClosedBeforeStop { get; private set; } = -1;

        public override async ValueTask OnCloseAsync(CloseContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(100, CancellationToken.None); // a slow OnClose: the stop must wait for it
            lock (Closed)
            {
                Assert.Equal(0, _stopped);
                Closed.Add(context.Client?.ClientId ?? "?");
            }
        }

        public override ValueTask OnStopAsync(CancellationToken cancellationToken)
        {
            lock (Closed)
            {
                _stopped = 1;
                ClosedBeforeStop = Closed.Count;
            }

            return ValueTask.CompletedTask;
        }
    }
}
