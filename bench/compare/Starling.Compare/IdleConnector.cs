using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Starling.Compare;

/// <summary>What connecting many idle clients cost.</summary>
internal sealed record IdleResult(
    int Requested,
    int Connected,
    double ConnectSeconds,
    double P50Us,
    double P99Us,
    double MaxUs,
    int Errors,
    string? FirstError);

/// <summary>
/// Opens many MQTT 3.1.1 connections, each CONNECT (clean session, keep-alive 0) + one SUBSCRIBE to its own
/// topic, and holds them until disposed. Raw sockets, so nothing but the socket is kept per connection here.
/// </summary>
internal sealed class IdleConnector : IDisposable
{
    /// <summary>Socket option IP_BIND_ADDRESS_NO_PORT (Linux): bind a source address, choose the port at connect.</summary>
    private const int IpBindAddressNoPort = 24;

    private readonly List<Socket> _sockets = [];

    public static async Task<IdleResult> ConnectAsync(IdleConnector into, int port, int count, int parallelism, bool spreadSources, string prefix)
    {
        var latencies = new double[count];
        var errors = 0;
        string? firstError = null;
        var total = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = parallelism }, async (i, ct) =>
        {
            var started = Stopwatch.GetTimestamp();
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                if (spreadSources)
                {
                    socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, BitConverter.GetBytes(1));
                    socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(2 + (i % 8))]), 0));
                }

                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token).ConfigureAwait(false);
                await socket.SendAsync(Connect($"{prefix}-{i:D6}"), timeout.Token).ConfigureAwait(false);
                var connack = await ReadPacketAsync(socket, timeout.Token).ConfigureAwait(false);
                if (connack.Length != 4 || connack[0] != 0x20 || connack[3] != 0)
                {
                    throw new InvalidOperationException($"CONNACK {Convert.ToHexString(connack)}");
                }

                await socket.SendAsync(Subscribe($"bench/idle/{prefix}/{i}"), timeout.Token).ConfigureAwait(false);
                var suback = await ReadPacketAsync(socket, timeout.Token).ConfigureAwait(false);
                if (suback.Length != 5 || suback[0] != 0x90 || suback[4] > 2)
                {
                    throw new InvalidOperationException($"SUBACK {Convert.ToHexString(suback)}");
                }

                latencies[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                lock (into._sockets)
                {
                    into._sockets.Add(socket);
                }
            }
            catch (Exception e) when (e is SocketException or InvalidOperationException or OperationCanceledException or IOException)
            {
                socket.Dispose();
                latencies[i] = double.NaN;
                if (Interlocked.Increment(ref errors) == 1)
                {
                    firstError = $"connection {i}: {e.GetType().Name}: {e.Message}";
                }
            }
        }).ConfigureAwait(false);
        var seconds = total.Elapsed.TotalSeconds;
        var ok = latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
        return new IdleResult(count, ok.Length, seconds, Stats.Percentile(ok, 50), Stats.Percentile(ok, 99),
            ok.Length > 0 ? ok[^1] : double.NaN, errors, firstError);
    }

    /// <summary>How many of the held connections the broker has not closed (a non-blocking peek per socket).</summary>
    public int CountOpen()
    {
        var open = 0;
        var buffer = new byte[1];
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                try
                {
                    if (s.Poll(0, SelectMode.SelectRead) && s.Receive(buffer, SocketFlags.Peek) == 0)
                    {
                        continue;
                    }

                    open++;
                }
                catch (SocketException)
                {
                }
            }
        }

        return open;
    }

    public void Dispose()
    {
        lock (_sockets)
        {
            foreach (var s in _sockets)
            {
                try
                {
                    s.Send([0xE0, 0x00]); // DISCONNECT
                }
                catch (SocketException)
                {
                }

                s.Dispose();
            }

            _sockets.Clear();
        }
    }

    private static byte[] Connect(string clientId)
    {
        var id = Encoding.UTF8.GetBytes(clientId);
        // Variable header: "MQTT", level 4, flags clean session, keep-alive 0.
        byte[] header = [0x00, 0x04, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 0x04, 0x02, 0x00, 0x00];
        var remaining = header.Length + 2 + id.Length;
        var packet = new List<byte> { 0x10 };
        packet.AddRange(RemainingLength(remaining));
        packet.AddRange(header);
        packet.Add((byte)(id.Length >> 8));
        packet.Add((byte)id.Length);
        packet.AddRange(id);
        return [.. packet];
    }

    private static byte[] Subscribe(string topic)
    {
        var t = Encoding.UTF8.GetBytes(topic);
        var remaining = 2 + 2 + t.Length + 1;
        var packet = new List<byte> { 0x82 };
        packet.AddRange(RemainingLength(remaining));
        packet.Add(0x00);
        packet.Add(0x01); // packet id 1
        packet.Add((byte)(t.Length >> 8));
        packet.Add((byte)t.Length);
        packet.AddRange(t);
        packet.Add(0x00); // QoS 0
        return [.. packet];
    }

    private static List<byte> RemainingLength(int value)
    {
        var bytes = new List<byte>();
        do
        {
            var b = (byte)(value % 128);
            value /= 128;
            bytes.Add(value > 0 ? (byte)(b | 0x80) : b);
        }
        while (value > 0);
        return bytes;
    }

    /// <summary>Reads one small packet (fixed header with a one-byte remaining length, then the rest).</summary>
    private static async Task<byte[]> ReadPacketAsync(Socket socket, CancellationToken ct)
    {
        var head = new byte[2];
        await ReadExactlyAsync(socket, head, ct).ConfigureAwait(false);
        if ((head[1] & 0x80) != 0)
        {
            throw new InvalidOperationException($"unexpected long packet {Convert.ToHexString(head)}");
        }

        var packet = new byte[2 + head[1]];
        head.CopyTo(packet, 0);
        await ReadExactlyAsync(socket, packet.AsMemory(2), ct).ConfigureAwait(false);
        return packet;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (buffer.Length > 0)
        {
            var n = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new IOException("the broker closed the connection");
            }

            buffer = buffer[n..];
        }
    }
}
