using System.Buffers;
using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker.Connections;

/// <summary>
/// The one reusable <see cref="ApplicationMessage"/> of a publishing connection, for payloads small enough to be
/// copied into every subscriber's send buffer (under <see cref="SendBuffer.SharedPayloadThreshold"/>). The payload
/// is copied into an array rented from <see cref="ArrayPool{T}.Shared"/>.
/// </summary>
/// <remarks>
/// After the dispatch, <see cref="Release"/> looks at <see cref="ApplicationMessage.IsHeld"/>: if nothing held the
/// message, every delivery has copied it, so the array goes back to the pool and the object serves the next PUBLISH;
/// if something held it (a queue, an in-flight slot, the retained store), the connection lets go of both and they
/// become an ordinary message the GC owns. Steady-state QoS 0 fan-out thus allocates nothing per message, and no
/// holder ever has to release anything. Used only on the connection's receive path, one PUBLISH at a time.
/// </remarks>
internal sealed class ScratchMessage
{
    private ApplicationMessage? _message;
    private byte[]? _rented;

    /// <summary>Whether a payload of this length may use the scratch message: only one no send buffer shares.</summary>
    public static bool Fits(long payloadLength) => payloadLength < SendBuffer.SharedPayloadThreshold;

    /// <summary>Fills the scratch message with a copy of <paramref name="payload"/>; <see cref="Release"/> must follow the dispatch.</summary>
    public ApplicationMessage Fill(string topic, byte[] topicUtf8, in ReadOnlySequence<byte> payload, MqttQualityOfService qos, bool retain, MqttProperties? properties, string? senderClientId)
    {
        int length = (int)payload.Length;
        ReadOnlyMemory<byte> copy = default;
        if (length > 0)
        {
            // Rented per message and returned at once, so an idle connection holds no array.
            _rented = ArrayPool<byte>.Shared.Rent(length);
            payload.CopyTo(_rented);
            copy = _rented.AsMemory(0, length);
        }

        if (_message is null)
        {
            _message = new ApplicationMessage(topic, copy, qos, retain, properties, senderClientId, topicUtf8);
        }
        else
        {
            _message.Reset(topic, topicUtf8, copy, qos, retain, properties, senderClientId);
        }

        return _message;
    }

    /// <summary>Ends the dispatch of the message <see cref="Fill"/> returned: recycled unless something held it.</summary>
    public void Release()
    {
        var message = _message;
        var rented = _rented;
        _rented = null;
        if (message is null || message.IsHeld)
        {
            // Held: the holders own the message and its array now; the next PUBLISH gets a new scratch message.
            _message = null;
            return;
        }

        message.Clear();
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
