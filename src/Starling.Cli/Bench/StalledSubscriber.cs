using System.Buffers;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Cli.Bench;

/// <summary>
/// A subscriber that stops reading after its SUBACK (<c>--stalled</c>): the socket stays open with a small
/// receive buffer, so the broker's writes to it block and it must queue, drop or disconnect. It counts for
/// nothing in the results; at the end <see cref="ProbeAsync"/> finds out whether the broker still holds it.
/// </summary>
internal sealed class StalledSubscriber(int index, RawConnection connection) : IPacketSink
{
    /// <summary>
    /// Small enough that the kernel fills it (Linux doubles it) with a few packets; set before connecting
    /// so the advertised TCP window stays small from the start.
    /// </summary>
    public const int ReceiveBufferSize = 4096;

    private readonly TaskCompletionSource _pong = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Index { get; } = index;

    public RawConnection Connection { get; } = connection;

    /// <summary>PUBLISH packets read while probing: what the broker had buffered for the stalled client.</summary>
    public long Backlog { get; private set; }

    /// <summary>
    /// Sends PINGREQ and reads what the broker had queued until PINGRESP comes back or <paramref name="timeout"/>
    /// passes. True when the connection ends first (the broker had closed it, e.g. after SendTimeoutSeconds);
    /// false when PINGRESP arrives or the backlog is still coming at the timeout (the broker still serves it).
    /// </summary>
    public async Task<bool> ProbeAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var reading = Connection.ReadLoopAsync(this, cancel.Token);
        var ended = false;
        try
        {
            await Connection.SendPacketAsync(new PingReqPacket(), cancel.Token).ConfigureAwait(false);
            await Task.WhenAny(_pong.Task, reading).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or ObjectDisposedException)
        {
            ended = true; // the broker has reset the connection
        }
        catch (OperationCanceledException)
        {
        }

        await cancel.CancelAsync().ConfigureAwait(false);
        try
        {
            await reading.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException)
        {
            // End of stream or reset, unless PINGRESP came before it.
            ended |= !_pong.Task.IsCompleted;
        }

        return ended;
    }

    public void OnPacket(in MqttFixedHeader header, in ReadOnlySequence<byte> body)
    {
        if (header.Type == MqttPacketType.Publish)
        {
            Backlog++;
        }
        else if (header.Type == MqttPacketType.PingResp)
        {
            _pong.TrySetResult();
        }
    }

    public ValueTask OnBatchEndAsync() => ValueTask.CompletedTask;
}
