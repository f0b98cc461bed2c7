using System.Threading.Tasks.Sources;

namespace Starling.Net.Epoll;

/// <summary>
/// What a send waits on while the socket buffer is full: completed by the loop's next "writable" edge. The
/// check for an edge that came before the wait started happens under the same lock as the signal, so none is
/// missed. Reused for every wait of its connection.
/// </summary>
internal sealed class WritableSignal : IValueTaskSource
{
    private readonly Lock _gate = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;

    /// <summary>
    /// Waits for the next signal, unless <paramref name="connection"/> has had a "writable" edge since it counted
    /// <paramref name="edges"/> (checked under the lock that the signal takes after counting one more).
    /// </summary>
    public ValueTask WaitAsync(EpollConnection connection, int edges)
    {
        lock (_gate)
        {
            if (connection.WritableEdges != edges)
            {
                return ValueTask.CompletedTask;
            }

            _core.Reset();
            _waiting = true;
            return new ValueTask(this, _core.Version);
        }
    }

    public void Signal()
    {
        lock (_gate)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        _core.SetResult(true);
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
