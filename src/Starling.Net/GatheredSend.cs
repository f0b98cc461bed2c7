using System.Buffers;
using Starling.Broker.Transport;


namespace Starling.Net;

/// <summary>
/// A vectored send for transports without one (TLS, WebSocket, in-memory): the segments are copied into one
/// pooled buffer and sent at once. TLS encrypts into records anyway, so one record beats one per segment.
/// </summary>
public static class GatheredSend
{
    /// <summary>Sends <paramref name="segments"/> through <paramref name="transport"/> as one contiguous write.</summary>
    public static async ValueTask SendAsync(IConnectionTransport transport, IList<ArraySegment<byte>> segments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(segments);
        int total = TotalLength(segments);
        var buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            int offset = 0;
            for (int i = 0; i < segments.Count; i++)
            {
                segments[i].AsSpan().CopyTo(buffer.AsSpan(offset));
                offset += segments[i].Count;
            }

            await transport.SendAsync(buffer.AsMemory(0, total), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The bytes of all <paramref name="segments"/> together.</summary>
    public static int TotalLength(IList<ArraySegment<byte>> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        int total = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            total += segments[i].Count;
        }

        return total;
    }

    /// <summary>Sends what is left of <paramref name="segments"/> after the first <paramref name="skip"/> bytes, segment by segment.</summary>
    public static async ValueTask SendRemainderAsync(IConnectionTransport transport, IList<ArraySegment<byte>> segments, int skip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(segments);
        for (int i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            if (skip >= segment.Count)
            {
                skip -= segment.Count;
                continue;
            }

            await transport.SendAsync(segment.AsMemory(skip), cancellationToken).ConfigureAwait(false);
            skip = 0;
        }
    }
}
