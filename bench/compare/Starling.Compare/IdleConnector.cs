using System.Diagnostics;
using System.Net.Sockets;

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
/// <remarks>
/// The connector shares the machine with the broker it measures, so it must cost as little CPU per connection
/// as it can: with .NET's async socket operations every step was a hop through the runtime's socket engine and
/// the thread pool (~150 µs of CPU per connection, and context switches are dear on a VM). Here one thread
/// drives every connection as a small state machine over non-blocking sockets: a step that can go ahead goes
/// ahead at once with a plain system call, and one that would block waits for an edge-triggered epoll event.
/// Per connection that is socket, setsockopt (no delay), fcntl ×2 (non-blocking), connect, send ×2, recv ×2 and
/// epoll_ctl ×2 (in and out of the epoll set), plus a share of the epoll_waits: no call that finds nothing to do.
/// </remarks>
internal sealed partial class IdleConnector : IDisposable
{
    /// <summary>Socket option IP_BIND_ADDRESS_NO_PORT (Linux): bind a source address, choose the port at connect.</summary>
    private const int IpBindAddressNoPort = 24;

    /// <summary>How long one connection may take from its socket to its SUBACK before it counts as failed.</summary>
    private static readonly long TimeoutTicks = 30 * Stopwatch.Frequency;

    private static readonly byte[] One = BitConverter.GetBytes(1);

    private readonly List<Socket> _sockets = [];

    public static Task<IdleResult> ConnectAsync(IdleConnector into, int port, int count, int parallelism, bool spreadSources, string prefix) =>
        // The loop blocks in epoll_wait, so it gets a thread of its own rather than one of the pool's.
        Task.Factory.StartNew(() => new Run(into, port, count, parallelism, spreadSources, prefix).Execute(),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

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
}
