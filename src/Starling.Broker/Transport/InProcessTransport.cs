using System.Buffers;
using System.IO.Pipelines;
using System.Net;

namespace Starling.Broker.Transport;

/// <summary>
/// A connection from inside the process (a bridge's local side): two pipes instead of a socket. The broker end is this
/// transport; the other end is <see cref="ClientStream"/>, which an MQTT client reads and writes as it would a socket's
/// stream. The client is then a client like any other: its session is persistent, bounded and stored as theirs are.
/// The pipes' default thresholds give the same back-pressure a socket buffer would.
/// </summary>
internal sealed class InProcessTransport : IConnectionTransport
{
    private readonly Pipe _toBroker = new();
    private readonly Pipe _toClient = new();
    private int _closed;

    public InProcessTransport(string listenerName)
    {
        ListenerName = listenerName;
        ClientStream = new DuplexStream(_toClient.Reader.AsStream(), _toBroker.Writer.AsStream());
    }

    /// <summary>The client's end: reads what the broker sent, writes what the broker receives; disposing it ends the connection.</summary>
    public Stream ClientStream { get; }

    public EndPoint? RemoteEndPoint => null;

    public EndPoint? LocalEndPoint => null;

    public string ListenerName { get; }

    /// <summary>Feeds the engine what the client writes until either side ends, then tells the engine once.</summary>
    public async Task RunAsync(IConnectionEngine engine)
    {
        var reader = _toBroker.Reader;
        try
        {
            while (Volatile.Read(ref _closed) == 0)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                long consumed = buffer.IsEmpty || Volatile.Read(ref _closed) == 1 ? 0 : await engine.ReceiveAsync(buffer).ConfigureAwait(false);
                reader.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // The connection ended; the engine learns it below.
        }
        finally
        {
            Close();
            await reader.CompleteAsync().ConfigureAwait(false);
            await engine.TransportClosedAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) == 1)
        {
            return;
        }

        try
        {
            await _toClient.Writer.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Closed meanwhile: the bytes have nowhere to go, as on a closed socket.
        }
    }

    public async ValueTask SendAsync(IList<ArraySegment<byte>> segments, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _closed) == 1)
        {
            return;
        }

        try
        {
            foreach (var segment in segments)
            {
                _toClient.Writer.Write(segment);
            }

            await _toClient.Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Ends both directions: the client reads the end of its stream, the receive loop stops after the packet in hand.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            _toClient.Writer.Complete();
            _toBroker.Reader.CancelPendingRead();
        }
    }

    /// <summary>One stream over a pipe to read and a pipe to write, as a socket's stream is one over two directions.</summary>
    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => input.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => output.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => output.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
