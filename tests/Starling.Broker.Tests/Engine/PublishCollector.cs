using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Tests.Engine;

/// <summary>
/// Reads one in-memory client's packets in the background, keeps every PUBLISH and acknowledges QoS 1 ones, so the
/// client drains its send buffer as a fast real client would while the test goes on publishing.
/// </summary>
internal sealed class PublishCollector : IAsyncDisposable
{
    private readonly List<PublishPacket> _received = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly bool _acknowledge;

    /// <summary>Starts reading; with <paramref name="acknowledge"/> false, QoS 1 messages stay unacknowledged (in flight).</summary>
    public PublishCollector(InMemoryTransport client, bool acknowledge = true)
    {
        Client = client;
        _acknowledge = acknowledge;
        _loop = Task.Run(ReadAsync);
    }

    public InMemoryTransport Client { get; }

    public int Count
    {
        get
        {
            lock (_received)
            {
                return _received.Count;
            }
        }
    }

    public List<PublishPacket> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Waits until <paramref name="done"/> holds, polling; fails after <paramref name="seconds"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> done, string what, int seconds = 10)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!done())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited {seconds} s for {what}");
            }

            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task ReadAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            MqttPacket? packet;
            try
            {
                packet = await Client.NextAsync(TimeSpan.FromMilliseconds(100));
            }
            catch (TimeoutException)
            {
                continue;
            }

            if (packet is null)
            {
                return; // the connection closed
            }

            if (packet is PublishPacket publish)
            {
                lock (_received)
                {
                    _received.Add(publish);
                }

                if (publish.QoS == MqttQualityOfService.AtLeastOnce && _acknowledge)
                {
                    await Client.SendPacketAsync(new PubAckPacket { PacketId = publish.PacketId });
                }
            }
        }
    }
}
