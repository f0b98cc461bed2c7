using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Starling.Compare;

/// <summary>The connector's state machine: one thread, non-blocking sockets, edge-triggered epoll.</summary>
internal sealed partial class IdleConnector
{
    private enum Step
    {
        SendingConnect,
        ReadingConnack,
        SendingSubscribe,
        ReadingSuback,
    }

    private enum Progress
    {
        /// <summary>Blocked on the socket; the next epoll event for it continues.</summary>
        Waiting,
        Done,
        Failed,
    }


    /// <summary>One connection in progress. There are `parallelism` of these, reused from one connection to the next.</summary>
    private sealed class Attempt(int slot)
    {
        /// <summary>Its index among the attempts; the epoll event's data, so an event finds its attempt.</summary>
        public readonly int Slot = slot;

        /// <summary>The packet being sent: Out[OutStart..OutEnd], of which OutSent bytes have gone.</summary>
        public readonly byte[] Out = new byte[512];

        /// <summary>Bytes received and not yet consumed: In[..Filled]. Only 4- and 5-byte answers are expected.</summary>
        public readonly byte[] In = new byte[16];

        /// <summary>The connection's number (client id, topic, latency slot); meaningful while Socket is set.</summary>
        public int Index;

        /// <summary>Null while the slot is free.</summary>
        public Socket? Socket;

        public long Started;
        public Step Step;
        public int OutStart;
        public int OutEnd;
        public int OutSent;
        public int Filled;

        /// <summary>
        /// The last recv left nothing behind in the socket. Epoll is edge-triggered, so the loop may wait for an
        /// event only when this holds: bytes already in the socket raise no further edge.
        /// </summary>
        public bool Drained;

        /// <summary>The epoll events the socket is registered for; 0 while it is not registered.</summary>
        public uint Watched;

        public string? Error;
    }

    /// <summary>The state of one ConnectAsync call, all on the one thread that runs it.</summary>
    private sealed partial class Run
    {
        private readonly IdleConnector _into;
        private readonly int _count;
        private readonly bool _spreadSources;
        private readonly string _prefix;

        /// <summary>struct sockaddr_in of 127.0.0.1:port.</summary>
        private readonly byte[] _brokerAddress = new byte[16];

        private readonly Attempt[] _attempts;
        private readonly Stack<int> _free;
        private readonly double[] _latencies;
        private int _active;
        private int _errors;
        private string? _firstError;

        /// <summary>No attempt in progress is overdue before this (Stopwatch ticks); it may be early, never late.</summary>
        private long _nextDeadline = long.MaxValue;

        private int _epoll = -1;

        public Run(IdleConnector into, int port, int count, int parallelism, bool spreadSources, string prefix)
        {
            _into = into;
            _count = count;
            _spreadSources = spreadSources;
            _prefix = prefix;
            MemoryMarshal.Write(_brokerAddress, (ushort)AddressFamily.InterNetwork); // sin_family, host order
            _brokerAddress[2] = (byte)(port >> 8); // sin_port, network order
            _brokerAddress[3] = (byte)port;
            _brokerAddress[4] = 127; // sin_addr 127.0.0.1
            _brokerAddress[7] = 1;
            _attempts = new Attempt[Math.Max(1, parallelism)];
            for (var slot = 0; slot < _attempts.Length; slot++)
            {
                _attempts[slot] = new Attempt(slot);
            }

            _free = new Stack<int>(Enumerable.Range(0, _attempts.Length).Reverse());
            _latencies = new double[count];
        }

        public unsafe IdleResult Execute()
        {
            var eventSize = LibC.EpollEventSize;
            var events = new byte[_attempts.Length * eventSize];
            var total = Stopwatch.StartNew();
            _epoll = LibC.EpollCreate(LibC.EpollCloexec);
            if (_epoll < 0)
            {
                throw new InvalidOperationException($"epoll_create1: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            try
            {
                var next = 0;
                while (next < _count || _active > 0)
                {
                    // Keep `parallelism` connections in progress. One that fails (or, in principle, finishes) while
                    // starting frees its slot at once, and the next one takes it.
                    while (_active < _attempts.Length && next < _count)
                    {
                        var attempt = _attempts[_free.Pop()];
                        _active++;
                        Settle(attempt, Start(attempt, next++));
                    }

                    if (_active == 0)
                    {
                        continue;
                    }

                    // The one deadline check: at most once per turn, and only when some attempt may be overdue.
                    var now = Stopwatch.GetTimestamp();
                    if (now >= _nextDeadline)
                    {
                        ExpireOverdue(now);
                        continue;
                    }

                    var waitMs = (int)Math.Min(int.MaxValue, ((_nextDeadline - now) * 1000 / Stopwatch.Frequency) + 1);
                    int ready;
                    fixed (byte* buffer = events)
                    {
                        ready = LibC.EpollWait(_epoll, buffer, _attempts.Length, waitMs);
                    }

                    if (ready < 0)
                    {
                        var errno = Marshal.GetLastPInvokeError();
                        if (errno == LibC.EIntr)
                        {
                            continue;
                        }

                        throw new InvalidOperationException($"epoll_wait: {Marshal.GetPInvokeErrorMessage(errno)}");
                    }

                    for (var e = 0; e < ready; e++)
                    {
                        var slot = (int)MemoryMarshal.Read<ulong>(events.AsSpan((e * eventSize) + LibC.EpollEventDataOffset));
                        var attempt = _attempts[slot];
                        // Slots are refilled only between turns and a finished socket leaves epoll at once, so an
                        // event always belongs to the attempt now in its slot; the check is for safety's sake.
                        if (attempt.Socket is not null)
                        {
                            Settle(attempt, Advance(attempt));
                        }
                    }
                }
            }
            finally
            {
                // Only an exception leaves attempts behind; close them so that nothing half-open is held.
                foreach (var attempt in _attempts)
                {
                    attempt.Socket?.Dispose();
                    attempt.Socket = null;
                }

                _ = LibC.Close(_epoll);
            }

            var seconds = total.Elapsed.TotalSeconds;
            var ok = _latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
            return new IdleResult(_count, ok.Length, seconds, Stats.Percentile(ok, 50), Stats.Percentile(ok, 99),
                ok.Length > 0 ? ok[^1] : double.NaN, _errors, _firstError);
        }

        /// <summary>Opens connection `index` in a free attempt: socket, connect, CONNECT (epoll once it has to wait).</summary>
        private unsafe Progress Start(Attempt attempt, int index)
        {
            attempt.Index = index;
            attempt.Started = Stopwatch.GetTimestamp();
            _nextDeadline = Math.Min(_nextDeadline, attempt.Started + TimeoutTicks);
            attempt.Step = Step.SendingConnect;
            attempt.Filled = 0;
            attempt.Drained = true;
            attempt.Watched = 0;
            attempt.Error = null;
            WriteConnect(attempt, index);
            Socket socket;
            try
            {
                // Blocking = false makes every call below return at once (EINPROGRESS, EAGAIN) instead of waiting.
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, Blocking = false };
            }
            catch (SocketException e)
            {
                return Fail(attempt, $"socket: {e.Message}");
            }

            attempt.Socket = socket;
            try
            {
                if (_spreadSources)
                {
                    socket.SetRawSocketOption((int)SocketOptionLevel.IP, IpBindAddressNoPort, One);
                    socket.Bind(new IPEndPoint(new IPAddress([127, 0, 0, (byte)(2 + (index % 8))]), 0));
                }
            }
            catch (SocketException e)
            {
                return Fail(attempt, $"bind: {e.Message}");
            }

            // connect(2) directly: Socket.Connect on a non-blocking socket reports EINPROGRESS by throwing, and an
            // exception per connection is exactly the kind of cost this class avoids.
            int connected;
            fixed (byte* address = _brokerAddress)
            {
                connected = LibC.Connect(socket.SafeHandle, address, (uint)_brokerAddress.Length);
            }

            if (connected != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != LibC.EInProgress)
                {
                    return Fail(attempt, $"connect: {Marshal.GetPInvokeErrorMessage(errno)}");
                }
            }

            // Over loopback the handshake is normally complete by the time connect(2) returns EINPROGRESS (the
            // loopback device runs the listener's side within the call), so CONNECT goes at once; if the
            // connection is not up yet, the send says EAGAIN and the attempt waits for the socket to be writable.
            return Advance(attempt);
        }

        /// <summary>
        /// Registers the waiting attempt with epoll for what it waits on: always input (the answer, or the broker
        /// closing), and output only while a send is blocked (a connect in progress, or a full send buffer).
        /// Edge-triggered, so an event comes once per change rather than for as long as the socket is writable.
        /// Registering late loses nothing: epoll_ctl reports a socket that is already ready. Output, once
        /// watched, stays watched: taking it off would cost a call, and leaving it costs nothing here.
        /// </summary>
        private unsafe Progress Watch(Attempt attempt)
        {
            var events = LibC.EpollIn | LibC.EpollRdHup | LibC.EpollEdgeTriggered
                | (attempt.Step is Step.SendingConnect or Step.SendingSubscribe ? LibC.EpollOut : 0);
            events |= attempt.Watched;
            if (events == attempt.Watched)
            {
                return Progress.Waiting;
            }

            var registration = stackalloc byte[LibC.EpollEventSize];
            *(uint*)registration = events;
            *(ulong*)(registration + LibC.EpollEventDataOffset) = (ulong)attempt.Slot;
            var operation = attempt.Watched == 0 ? LibC.EpollCtlAdd : LibC.EpollCtlMod;
            if (LibC.EpollCtl(_epoll, operation, attempt.Socket!.SafeHandle, registration) != 0)
            {
                return Fail(attempt, $"epoll_ctl: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }

            attempt.Watched = events;
            return Progress.Waiting;
        }

        /// <summary>Takes the attempt as far as its socket allows without blocking.</summary>
        private Progress Advance(Attempt attempt)
        {
            var socket = attempt.Socket!;
            while (true)
            {
                var progress = attempt.Step is Step.SendingConnect or Step.SendingSubscribe ? Send(attempt, socket) : Receive(attempt, socket);
                if (progress is { } stop)
                {
                    return stop;
                }
            }
        }

        /// <summary>Sends (the rest of) the packet; null when the attempt can go on at once.</summary>
        private Progress? Send(Attempt attempt, Socket socket)
        {
            // While a connect is in progress send(2) says EAGAIN, and after a failed one it returns the connect's
            // error, so the send itself tells whether the connection is up (no getsockopt(SO_ERROR) call).
            var sent = socket.Send(attempt.Out.AsSpan(attempt.OutStart + attempt.OutSent, attempt.OutEnd - attempt.OutStart - attempt.OutSent),
                SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return Progress.Waiting;
            }

            if (error != SocketError.Success)
            {
                return Fail(attempt, $"{Name(attempt.Step)}: {new SocketException((int)error).Message}");
            }

            attempt.OutSent += sent;
            if (attempt.OutStart + attempt.OutSent < attempt.OutEnd)
            {
                return null;
            }

            attempt.Step = attempt.Step == Step.SendingConnect ? Step.ReadingConnack : Step.ReadingSuback;
            // The answer cannot be here yet and its arrival raises an edge: a recv now would only say EAGAIN. Unless
            // bytes are already buffered or left in the socket (nothing should be).
            return attempt.Drained && attempt.Filled == 0 ? Progress.Waiting : null;
        }

        /// <summary>Reads and checks the CONNACK or SUBACK; null when the attempt can go on at once.</summary>
        private Progress? Receive(Attempt attempt, Socket socket)
        {
            var expected = attempt.Step == Step.ReadingConnack ? 4 : 5;
            if (attempt.Filled >= 2)
            {
                var length = 2 + attempt.In[1];
                if ((attempt.In[1] & 0x80) != 0 || length != expected)
                {
                    return Fail(attempt, $"{Name(attempt.Step)} {Convert.ToHexString(attempt.In, 0, attempt.Filled)}");
                }

                if (attempt.Filled >= length)
                {
                    var packet = attempt.In.AsSpan(0, length);
                    var valid = attempt.Step == Step.ReadingConnack
                        ? packet[0] == 0x20 && packet[3] == 0
                        : packet[0] == 0x90 && packet[4] <= 2;
                    if (!valid)
                    {
                        return Fail(attempt, $"{Name(attempt.Step)} {Convert.ToHexString(packet)}");
                    }

                    // Keep whatever followed the packet for the next read (nothing should).
                    attempt.In.AsSpan(length, attempt.Filled - length).CopyTo(attempt.In);
                    attempt.Filled -= length;
                    if (attempt.Step == Step.ReadingSuback)
                    {
                        return Progress.Done;
                    }

                    attempt.Step = Step.SendingSubscribe;
                    WriteSubscribe(attempt, attempt.Index);
                    return null;
                }
            }

            var space = attempt.In.Length - attempt.Filled;
            var received = socket.Receive(attempt.In.AsSpan(attempt.Filled), SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                attempt.Drained = true;
                return Progress.Waiting;
            }

            if (error != SocketError.Success)
            {
                return Fail(attempt, $"{Name(attempt.Step)}: {new SocketException((int)error).Message}");
            }

            if (received == 0)
            {
                return Fail(attempt, $"{Name(attempt.Step)}: the broker closed the connection");
            }

            attempt.Filled += received;
            // A short read took all there was: a TCP recv returns what is queued, up to the space given.
            attempt.Drained = received < space;
            return null;
        }

        /// <summary>Books a finished attempt (held socket and latency, or error) and frees its slot.</summary>
        private unsafe void Settle(Attempt attempt, Progress progress)
        {
            if (progress == Progress.Waiting)
            {
                progress = Watch(attempt);
                if (progress == Progress.Waiting)
                {
                    return;
                }
            }

            var socket = attempt.Socket;
            if (progress == Progress.Done && socket is not null)
            {
                _latencies[attempt.Index] = Stopwatch.GetElapsedTime(attempt.Started).TotalMicroseconds;
                // The held socket leaves epoll, so nothing it does later reaches whichever attempt has the slot next.
                if (attempt.Watched != 0)
                {
                    _ = LibC.EpollCtl(_epoll, LibC.EpollCtlDel, socket.SafeHandle, null);
                }

                lock (_into._sockets)
                {
                    _into._sockets.Add(socket);
                }
            }
            else
            {
                // Closing the socket also takes it out of epoll.
                socket?.Dispose();
                _latencies[attempt.Index] = double.NaN;
                if (++_errors == 1)
                {
                    _firstError = $"connection {attempt.Index}: {attempt.Error}";
                }
            }

            attempt.Socket = null;
            _active--;
            _free.Push(attempt.Slot);
        }

        private void ExpireOverdue(long now)
        {
            _nextDeadline = long.MaxValue;
            foreach (var attempt in _attempts)
            {
                if (attempt.Socket is null)
                {
                    continue;
                }

                var deadline = attempt.Started + TimeoutTicks;
                if (now >= deadline)
                {
                    Settle(attempt, Fail(attempt, $"no answer within {TimeoutTicks / Stopwatch.Frequency} s ({Name(attempt.Step)})"));
                }
                else
                {
                    _nextDeadline = Math.Min(_nextDeadline, deadline);
                }
            }
        }

        private static Progress Fail(Attempt attempt, string error)
        {
            attempt.Error = error;
            return Progress.Failed;
        }

        private static string Name(Step step) => step switch
        {
            Step.SendingConnect => "CONNECT",
            Step.ReadingConnack => "CONNACK",
            Step.SendingSubscribe => "SUBSCRIBE",
            _ => "SUBACK",
        };
    }
}
