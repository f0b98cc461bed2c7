using Starling.Broker.Connections;

namespace Starling.Broker.Tests.Engine;

/// <summary>The deadlines the sweep checks, on a clock the test moves.</summary>
public sealed class ConnectionTimeoutsTests
{
    private static readonly BrokerOptions Options = new() { ConnectTimeoutSeconds = 10, SendTimeoutSeconds = 30 };

    [Fact]
    public void Connect_deadline_applies_only_while_CONNECT_is_awaited()
    {
        var timeouts = ConnectionTimeouts.StartingAt(1_000);
        Assert.Equal(ConnectionTimeout.None, timeouts.Expired(11_000, awaitingConnect: true, connected: false, sendingSince: 0, Options));
        Assert.Equal(ConnectionTimeout.Connect, timeouts.Expired(11_001, awaitingConnect: true, connected: false, sendingSince: 0, Options));
        Assert.Equal(ConnectionTimeout.None, timeouts.Expired(11_001, awaitingConnect: false, connected: true, sendingSince: 0, Options));
    }

    [Fact]
    public void Keep_alive_expires_after_one_and_a_half_intervals_without_a_packet_MQTT_3_1_2_24()
    {
        var timeouts = ConnectionTimeouts.StartingAt(0);
        timeouts.SetKeepAlive(10);
        timeouts.PacketReceived(5_000);
        Assert.Equal(ConnectionTimeout.None, timeouts.Expired(20_000, awaitingConnect: false, connected: true, sendingSince: 0, Options));
        Assert.Equal(ConnectionTimeout.KeepAlive, timeouts.Expired(20_001, awaitingConnect: false, connected: true, sendingSince: 0, Options));

        timeouts.PacketReceived(20_000); // any packet restarts the interval
        Assert.Equal(ConnectionTimeout.None, timeouts.Expired(20_001, awaitingConnect: false, connected: true, sendingSince: 0, Options));

        // A closing connection is not held to its keep-alive.
        Assert.Equal(ConnectionTimeout.None, timeouts.Expired(60_000, awaitingConnect: false, connected: false, sendingSince: 0, Options));
    }

    [Fact]
    public void Keep_alive_zero_means_no_keep_alive_deadline()
    {
        var timeouts = ConnectionTimeouts.StartingAt(0);
        Assert.Equal(ConnectionTimeout.None, timeouts.Expired(long.MaxValue / 2, awaitingConnect: false, connected: true, sendingSince: 0, Options));
    }

    [Fact]
    public void Send_deadline_comes_first_in_every_state()
    {
        var timeouts = ConnectionTimeouts.StartingAt(0);
        timeouts.SetKeepAlive(1);
        Assert.Equal(ConnectionTimeout.None, timeouts.Expired(30_500, awaitingConnect: false, connected: false, sendingSince: 1_000, Options));
        Assert.Equal(ConnectionTimeout.Send, timeouts.Expired(31_001, awaitingConnect: false, connected: false, sendingSince: 1_000, Options));
        Assert.Equal(ConnectionTimeout.Send, timeouts.Expired(31_001, awaitingConnect: false, connected: true, sendingSince: 1_000, Options));
        Assert.Equal(ConnectionTimeout.Send, timeouts.Expired(31_001, awaitingConnect: true, connected: false, sendingSince: 1_000, Options));
    }
}
