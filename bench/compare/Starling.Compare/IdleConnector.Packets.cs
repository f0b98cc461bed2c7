using System.Text.Unicode;

namespace Starling.Compare;

internal sealed partial class IdleConnector
{
    /// <summary>The two packets each connection sends, written into its attempt's buffer.</summary>
    private sealed partial class Run
    {
        /// <summary>CONNECT: "MQTT", level 4, clean session, keep-alive 0, client id PREFIX-NNNNNN.</summary>
        private void WriteConnect(Attempt attempt, int index)
        {
            var body = attempt.Out.AsSpan(Header);
            ReadOnlySpan<byte> variable = [0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02, 0x00, 0x00];
            variable.CopyTo(body);
            var id = body[variable.Length..];
            Fits(Utf8.TryWrite(id[2..], $"{_prefix}-{index:D6}", out var idLength));
            StringLength(id, idLength);
            Frame(attempt, 0x10, variable.Length + 2 + idLength);
        }

        /// <summary>SUBSCRIBE: packet id 1, topic bench/idle/PREFIX/N at QoS 0.</summary>
        private void WriteSubscribe(Attempt attempt, int index)
        {
            var body = attempt.Out.AsSpan(Header);
            body[0] = 0x00;
            body[1] = 0x01; // packet id 1
            var topic = body[2..];
            Fits(Utf8.TryWrite(topic[2..], $"bench/idle/{_prefix}/{index}", out var topicLength));
            StringLength(topic, topicLength);
            topic[2 + topicLength] = 0x00; // QoS 0
            Frame(attempt, 0x82, 2 + 2 + topicLength + 1);
        }

        /// <summary>Room before the body for the fixed header: one type byte and up to four of remaining length.</summary>
        private const int Header = 5;

        /// <summary>The two length bytes in front of an MQTT string.</summary>
        private static void StringLength(Span<byte> at, int length)
        {
            at[0] = (byte)(length >> 8);
            at[1] = (byte)length;
        }

        private static void Fits(bool written)
        {
            if (!written)
            {
                throw new ArgumentException("client id or topic too long for the packet buffer");
            }
        }

        /// <summary>Puts the fixed header right before the body at Out[Header..] and marks the packet for sending.</summary>
        private static void Frame(Attempt attempt, byte type, int remaining)
        {
            Span<byte> length = stackalloc byte[4];
            var n = 0;
            var value = remaining;
            do
            {
                var b = (byte)(value % 128);
                value /= 128;
                length[n++] = value > 0 ? (byte)(b | 0x80) : b;
            }
            while (value > 0);

            attempt.OutStart = Header - 1 - n;
            attempt.Out[attempt.OutStart] = type;
            length[..n].CopyTo(attempt.Out.AsSpan(attempt.OutStart + 1));
            attempt.OutEnd = Header + remaining;
            attempt.OutSent = 0;
        }
    }
}
