using System.Buffers;
using System.Net;
using Starling.Broker;
using Starling.Broker.Connections;
using Starling.Broker.Transport;

namespace Starling.Fuzz;

/// <summary>
/// The connection state machine: the input is fed to a fresh engine <see cref="MqttConnection"/> through an
/// in-memory transport, as a socket would deliver it: in chunks (the last byte picks the chunk size, so the
/// same packets arrive whole, split and coalesced), keeping the unconsumed tail for the next call. Any
/// exception escaping <see cref="MqttConnection.ReceiveAsync"/> or <see cref="MqttConnection.TransportClosedAsync"/>
/// is a finding, and so is a call that has not completed within the hang timeout.
/// </summary>
internal static class ConnectionTarget
{
    private const int ExecutionsPerBroker = 2000;

    private static readonly TimeSpan HangTimeout = TimeSpan.FromSeconds(5);
    private static readonly int[] ChunkSizes = [int.MaxValue, 1, 2, 3, 5, 8, 13, 64];

    private static MqttBroker? _broker;
    private static int _executions;

    public static void Run(ReadOnlySpan<byte> input)
    {
        // A broker keeps sessions and retained messages between inputs (so inputs can meet state), but is
        // replaced now and then so that state stays bounded.
        if (_broker is null || ++_executions % ExecutionsPerBroker == 0)
        {
            var old = _broker;
            _broker = new MqttBroker(new BrokerOptions { MaximumPacketSize = 64 * 1024, MaximumSessionExpirySeconds = 10 });
            old?.DisposeAsync().AsTask().Wait(HangTimeout);
        }

        byte[] bytes = input.ToArray();
        int chunk = bytes.Length == 0 ? int.MaxValue : ChunkSizes[bytes[^1] % ChunkSizes.Length];
        var transport = new FuzzTransport();
        var connection = _broker.Connect(transport);

        byte[] pending = [];
        for (int offset = 0; offset < bytes.Length && !transport.IsClosed; offset += chunk)
        {
            int size = Math.Min(chunk, bytes.Length - offset);
            pending = [.. pending, .. bytes.AsSpan(offset, size)];
            long consumed = Complete(connection.ReceiveAsync(new ReadOnlySequence<byte>(pending)), "ReceiveAsync");
            if (consumed < 0 || consumed > pending.Length)
            {
                throw new InvalidOperationException($"ReceiveAsync consumed {consumed} of {pending.Length} bytes");
            }

            pending = pending[(int)consumed..];
        }

        transport.Close();
        Complete(connection.TransportClosedAsync(), "TransportClosedAsync");
    }

    private static T Complete<T>(ValueTask<T> task, string what)
    {
        if (task.IsCompletedSuccessfully)
        {
            return task.Result;
        }

        var t = task.AsTask();
        if (!t.Wait(HangTimeout))
        {
            throw new TimeoutException($"{what} did not complete within {HangTimeout.TotalSeconds} s (hang)");
        }

        return t.GetAwaiter().GetResult();
    }

    private static void Complete(ValueTask task, string what)
    {
        if (task.IsCompletedSuccessfully)
        {
            return;
        }

        var t = task.AsTask();
        if (!t.Wait(HangTimeout))
        {
            throw new TimeoutException($"{what} did not complete within {HangTimeout.TotalSeconds} s (hang)");
        }

        t.GetAwaiter().GetResult();
    }

    /// <summary>Swallows what the engine sends and records the close.</summary>
    private sealed class FuzzTransport : IConnectionTransport
    {
        private int _closed;

        public bool IsClosed => Volatile.Read(ref _closed) == 1;

        public EndPoint? RemoteEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 50000);

        public EndPoint? LocalEndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 1883);

        public string ListenerName => "fuzz";

        public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public void Close() => Interlocked.Exchange(ref _closed, 1);
    }
}
