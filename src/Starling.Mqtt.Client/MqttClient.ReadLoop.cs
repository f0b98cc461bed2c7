using System.IO.Pipelines;
using Starling.Mqtt.Packets;

namespace Starling.Mqtt.Client;

public sealed partial class MqttClient
{
    /// <summary>
    /// Raised from the read loop for every packet received, before the client handles it. Meant for tests
    /// and diagnostics; handlers must be quick and must not block.
    /// </summary>
    public event Action<MqttPacket>? PacketReceived;

    /// <summary>The single read loop: parse whole packets from the stream and route each one.</summary>
    private async Task ReadLoopAsync(Stream stream)
    {
        await Task.Yield();
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        MqttClientDisconnectedEventArgs? end = null;
        try
        {
            while (end is null)
            {
                var result = await reader.ReadAsync(_lifetime.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    while (end is null && MqttPacketReader.TryRead(ref buffer, _version, _maximumPacketSize, out var packet))
                    {
                        end = Route(packet);
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }

                if (end is null && result.IsCompleted)
                {
                    end = buffer.IsEmpty
                        ? new MqttClientDisconnectedEventArgs(MqttDisconnectSource.ConnectionClosed)
                        : new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Error, exception: new MqttClientException("The connection closed in the middle of a packet."));
                }
            }
        }
        catch (OperationCanceledException) when (_lifetime.IsCancellationRequested)
        {
            // Closed by this side.
        }
        catch (Exception ex)
        {
            end = new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Error, exception: ex);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }

        if (end is not null)
        {
            // After our DISCONNECT the broker's close is the expected end, not an error.
            Close(_disconnecting ?? end);
        }
    }

    /// <summary>Handles one received packet; returns the reason to stop reading, or null to go on.</summary>
    private MqttClientDisconnectedEventArgs? Route(MqttPacket packet)
    {
        PacketReceived?.Invoke(packet);
        switch (packet)
        {
            case ConnAckPacket connAck:
                if (_connAck is null || _connAck.Task.IsCompleted)
                {
                    return ProtocolError("A second CONNACK.");
                }

                ConnAck = connAck;
                _connAck.TrySetResult(connAck);
                return null;
            case PublishPacket publish:
                return OnPublish(publish);
            case PubRelPacket pubRel:
                OnPubRel(pubRel);
                return null;
            case PubRecPacket pubRec when !pubRec.ReasonCode.IsFailure():
                // [MQTT-4.6.0-3] PUBREL in the order the PUBRECs came: sent from here, before the publisher resumes, not
                // from each publisher's continuation (those race, and mosquitto releases QoS 2 messages in PUBREL order).
                if (_pending.TryCompleteAndRearm(pubRec.PacketId, pubRec))
                {
                    SendInBackground(new PubRelPacket { PacketId = pubRec.PacketId });
                }

                return null;
            case PublishAckPacket ack: // PUBACK, failed PUBREC, PUBCOMP
                _pending.TryComplete(ack.PacketId, ack);
                return null;
            case SubAckPacket subAck:
                _pending.TryComplete(subAck.PacketId, subAck);
                return null;
            case UnsubAckPacket unsubAck:
                _pending.TryComplete(unsubAck.PacketId, unsubAck);
                return null;
            case PingRespPacket:
                OnPingResponse();
                return null;
            case DisconnectPacket disconnect:
                return new MqttClientDisconnectedEventArgs(MqttDisconnectSource.Server, disconnect);
            default:
                return null; // AUTH and anything else: not handled by this client
        }
    }

    private static MqttClientDisconnectedEventArgs ProtocolError(string message)
        => new(MqttDisconnectSource.Error, exception: new MqttClientException(message, MqttReasonCode.ProtocolError));

    /// <summary>Sends without waiting, for acknowledgements from the read loop; failures surface through <see cref="Close"/>.</summary>
    private void SendInBackground(MqttPacket packet)
    {
        if (_writer is not { } writer)
        {
            return;
        }

        var version = _version;
        _ = writer.WriteAsync((packet, version), static (s, w) => MqttPacketWriter.Write(s.packet, s.version, w))
            .ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
