using System.Buffers;

namespace Starling.Mqtt.Client;

/// <summary>
/// Serializes writes to the stream. Each packet is encoded into a scratch buffer, then appended to the
/// pending batch under a lock; whoever finds no flush running writes and flushes the whole batch, so packets
/// sent together go out in one write. A write's task completes when its bytes have been flushed.
/// </summary>
internal sealed class PacketWriteQueue
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    private readonly Stream _stream;
    private readonly Lock _gate = new();
    private ArrayBufferWriter<byte> _pending = new(4096);
    private ArrayBufferWriter<byte>? _spare = new(4096);
    private TaskCompletionSource? _pendingFlushed;
    private bool _flushing;
    private Exception? _failure;

    public PacketWriteQueue(Stream stream) => _stream = stream;

    /// <summary>Raised once, from the flushing task, when a write to the stream fails.</summary>
    public event Action<Exception>? Faulted;

    private long _lastWriteTicks = Environment.TickCount64;

    /// <summary>The time of the last completed write, as <see cref="Environment.TickCount64"/>.</summary>
    public long LastWriteTicks => Volatile.Read(ref _lastWriteTicks);

    /// <summary>Encodes with <paramref name="encode"/> and queues the bytes; completes once they are flushed.</summary>
    public Task WriteAsync<TState>(TState state, Action<TState, IBufferWriter<byte>> encode)
    {
        var scratch = t_scratch ??= new ArrayBufferWriter<byte>(1024);
        scratch.ResetWrittenCount();
        try
        {
            encode(state, scratch);
            return Enqueue(scratch.WrittenSpan);
        }
        finally
        {
            if (scratch.Capacity > 1 << 20)
            {
                t_scratch = null; // do not keep a huge buffer per thread
            }
        }
    }

    /// <summary>Queues raw bytes; completes once they are flushed.</summary>
    public Task WriteRawAsync(ReadOnlySpan<byte> bytes) => Enqueue(bytes);

    /// <summary>Fails every later write with <paramref name="failure"/>; a batch being flushed fails on its own.</summary>
    public void Close(Exception failure)
    {
        lock (_gate)
        {
            _failure ??= failure;
        }
    }

    private Task Enqueue(ReadOnlySpan<byte> bytes)
    {
        Task flushed;
        lock (_gate)
        {
            if (_failure is not null)
            {
                return Task.FromException(new MqttClientException("The connection is closed.", _failure));
            }

            _pending.Write(bytes);
            _pendingFlushed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            flushed = _pendingFlushed.Task;
            if (_flushing)
            {
                return flushed;
            }

            _flushing = true;
        }

        _ = FlushLoopAsync();
        return flushed;
    }

    private async Task FlushLoopAsync()
    {
        while (true)
        {
            ArrayBufferWriter<byte> batch;
            TaskCompletionSource done;
            lock (_gate)
            {
                if (_pending.WrittenCount == 0 || _failure is not null)
                {
                    _flushing = false;
                    if (_failure is not null && _pendingFlushed is not null)
                    {
                        _pendingFlushed.TrySetException(new MqttClientException("The connection is closed.", _failure));
                        _pendingFlushed = null;
                    }

                    return;
                }

                batch = _pending;
                _pending = _spare ?? new ArrayBufferWriter<byte>(4096);
                _spare = null;
                done = _pendingFlushed!;
                _pendingFlushed = null;
            }

            try
            {
                await _stream.WriteAsync(batch.WrittenMemory).ConfigureAwait(false);
                await _stream.FlushAsync().ConfigureAwait(false);
                Volatile.Write(ref _lastWriteTicks, Environment.TickCount64);
                done.TrySetResult();
            }
            catch (Exception ex)
            {
                lock (_gate)
                {
                    _failure ??= ex;
                }

                done.TrySetException(new MqttClientException("Writing to the connection failed.", ex));
                Faulted?.Invoke(ex);
            }

            batch.ResetWrittenCount();
            lock (_gate)
            {
                if (batch.Capacity <= 1 << 20)
                {
                    _spare = batch;
                }
            }
        }
    }
}
