using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>
    /// Writes <paramref name="packet"/> as it is, with no packet-id allocation and no waiting for an
    /// answer: an escape hatch for tests (answers can be watched with <see cref="PacketReceived"/>).
    /// Works after <see cref="OpenAsync"/> as well as after <see cref="ConnectAsync"/>.
    /// </summary>
    public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(packet);
        return SendAsync(packet, cancellationToken);
    }

    /// <summary>Writes arbitrary bytes to the connection, for malformed-input tests.</summary>
    public Task SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
        => GetWriter().WriteRawAsync(bytes.Span).WaitAsync(cancellationToken);

    /// <summary>Encodes and writes one packet; completes when it has been flushed.</summary>
    private Task SendAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        var writer = GetWriter();
        var version = _version;
        return writer.WriteAsync((packet, version), static (s, w) => MqttPacketWriter.Write(s.packet, s.version, w)).WaitAsync(cancellationToken);
    }

    private PacketWriteQueue GetWriter()
        => _writer ?? throw new InvalidOperationException("The client is not connected; call ConnectAsync or OpenAsync first.");
}
