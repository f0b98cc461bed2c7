using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

public sealed partial class MqttClient
{
    private readonly Lock _pingGate = new();
    private TaskCompletionSource? _pingResponse;

    /// <summary>Sends PINGREQ and waits for PINGRESP. Concurrent calls share one round trip.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfNotConnected();
        TaskCompletionSource response;
        bool send;
        lock (_pingGate)
        {
            send = _pingResponse is null;
            response = _pingResponse ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        if (send)
        {
            await SendAsync(PingReqPacket.Instance, cancellationToken).ConfigureAwait(false);
        }

        await response.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private void OnPingResponse()
    {
        TaskCompletionSource? response;
        lock (_pingGate)
        {
            response = _pingResponse;
            _pingResponse = null;
        }

        response?.TrySetResult();
    }

    private void FailPing(Exception failure)
    {
        TaskCompletionSource? response;
        lock (_pingGate)
        {
            response = _pingResponse;
            _pingResponse = null;
        }

        response?.TrySetException(failure);
    }

    /// <summary>Sends PINGREQ whenever nothing has been written for <paramref name="interval"/>; closes if PINGRESP does not follow within it.</summary>
    private async Task KeepAliveLoopAsync(TimeSpan interval)
    {
        var token = _lifetime.Token;
        var writer = _writer!;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var idle = TimeSpan.FromMilliseconds(Environment.TickCount64 - writer.LastWriteTicks);
                if (idle < interval)
                {
                    await Task.Delay(interval - idle, token).ConfigureAwait(false);
                    continue;
                }

                try
                {
                    await PingAsync(token).WaitAsync(interval, token).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    Close(new MqttClientDisconnectedEventArgs(MqttDisconnectSource.KeepAliveTimeout));
                    return;
                }
            }
        }
        catch (Exception)
        {
            // Cancelled or the connection closed: Close has already reported why.
        }
    }
}
