namespace Starling.Broker.Connections;

/// <summary>
/// Counts one client's PUBLISH packets and payload bytes in one-second windows, for
/// <see cref="BrokerOptions.MaximumPublishRate"/> and <see cref="BrokerOptions.MaximumPublishBytesRate"/>.
/// Used only by the connection's receive loop, so it needs no lock.
/// </summary>
internal sealed class PublishRateLimiter(int messagesPerSecond, long bytesPerSecond)
{
    private long _windowStart = Environment.TickCount64;
    private int _messages;
    private long _bytes;

    /// <summary>Counts one PUBLISH; returns how long reads should pause (zero when under the limits).</summary>
    public TimeSpan Count(long payloadBytes, long now)
    {
        if (now - _windowStart >= 1000)
        {
            _windowStart = now;
            _messages = 0;
            _bytes = 0;
        }

        _messages++;
        _bytes += payloadBytes;
        bool over = (messagesPerSecond > 0 && _messages >= messagesPerSecond) || (bytesPerSecond > 0 && _bytes >= bytesPerSecond);
        return over ? TimeSpan.FromMilliseconds(Math.Max(1, 1000 - (now - _windowStart))) : TimeSpan.Zero;
    }
}
