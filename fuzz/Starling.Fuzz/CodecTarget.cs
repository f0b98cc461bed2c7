using System.Buffers;
using Starling.Mqtt;
using Starling.TestSupport;

namespace Starling.Fuzz;

/// <summary>
/// The packet codec: the input is read as a stream of packets by every version (Unknown, as a server does
/// before CONNECT, then 3.1, 3.1.1 and 5.0), in one segment and split into segments, through both
/// <see cref="MqttPacketReader.TryRead"/> and the allocation-free PUBLISH path. Only
/// <see cref="MqttProtocolException"/> may escape the reader; anything else propagates as a finding.
/// </summary>
internal static class CodecTarget
{
    private static readonly MqttProtocolVersion[] Versions = [MqttProtocolVersion.Unknown, MqttProtocolVersion.V310, MqttProtocolVersion.V311, MqttProtocolVersion.V500];

    public static void Run(ReadOnlySpan<byte> input)
    {
        byte[] bytes = input.ToArray();
        foreach (var version in Versions)
        {
            ReadAll(new ReadOnlySequence<byte>(bytes), version);
            ReadAll(ByteSegments.Split(bytes, 1 + (bytes.Length == 0 ? 0 : bytes[^1] % 7)), version);
            ReadPublishes(new ReadOnlySequence<byte>(bytes), version);
        }
    }

    private static void ReadAll(ReadOnlySequence<byte> buffer, MqttProtocolVersion version)
    {
        try
        {
            while (MqttPacketReader.TryRead(ref buffer, version, 1 << 20, out _))
            {
            }
        }
        catch (MqttProtocolException)
        {
        }
    }

    private static void ReadPublishes(ReadOnlySequence<byte> buffer, MqttProtocolVersion version)
    {
        if (version == MqttProtocolVersion.Unknown)
        {
            return;
        }

        try
        {
            while (MqttPacketReader.TryReadFixedHeader(buffer, 1 << 20, out var header) && buffer.Length >= header.PacketLength)
            {
                var body = buffer.Slice(header.HeaderLength, header.RemainingLength);
                if (header.Type == MqttPacketType.Publish)
                {
                    var view = MqttPacketReader.ReadPublish(header, body, version);
                    if (version == MqttProtocolVersion.V500)
                    {
                        _ = MqttPacketReader.ReadProperties(view.Properties, MqttPacketType.Publish);
                    }
                }
                else
                {
                    _ = MqttPacketReader.Read(header, body, version);
                }

                buffer = buffer.Slice(header.PacketLength);
            }
        }
        catch (MqttProtocolException)
        {
        }
    }
}
