using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;
using Starling.Broker;

namespace Starling.Cluster;

/// <summary>
/// Keeps, in a JetStream key-value bucket (<see cref="Bucket"/>), what another node needs to take up each session this
/// node owns if this node dies (<see cref="MqttBroker.ClusterState"/>): its fields and subscriptions and, while its
/// client is connected, the will the connection's loss would publish. Changes are marked as the broker makes them
/// and written shortly after by one loop, the latest state of each client once however many changes came
/// (connect, subscribe, disconnect), so the publish path pays nothing and a burst of changes costs one write each.
/// The deliveries are not kept: without a durable cluster store they are lost with the node. A session that ends
/// with its connection and has no will is not written at all.
/// </summary>
internal sealed partial class SessionStateMirror(MqttBroker broker, string node, Func<string, CancellationToken, Task<bool>> ownedHere, ILogger logger) : IDisposable
{
    public const string Bucket = "starling-session-states";
    private static readonly TimeSpan Coalesce = TimeSpan.FromMilliseconds(10);

    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _kept = new(StringComparer.Ordinal); // entries this node wrote; used under _writing
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private INatsKVStore? _states;

    /// <summary>The bucket, once <see cref="StartAsync"/> opened it.</summary>
    public INatsKVStore States => _states ?? throw new InvalidOperationException("The session states are not started.");

    /// <summary>Opens the bucket; returns the loop that writes the changes.</summary>
    public async Task<Task> StartAsync(NatsKVContext kv, int replicas, CancellationToken stopping, CancellationToken cancellationToken)
    {
        _states = await kv.CreateOrUpdateStoreAsync(new NatsKVConfig(Bucket) { History = 1, Storage = NatsKVStorageType.File, NumberOfReplicas = replicas }, cancellationToken).ConfigureAwait(false);
        return Task.Run(() => WriteLoopAsync(stopping), CancellationToken.None);
    }

    /// <summary>Marks <paramref name="clientId"/>'s session for writing; never blocks (called under the session's lock).</summary>
    public void Changed(string clientId)
    {
        lock (_lock)
        {
            if (_dirty.Add(clientId) && _dirty.Count == 1)
            {
                _signal.Release();
            }
        }
    }

    /// <summary>Writes every marked session now: at a graceful stop, so that no will of a client the stop closed is left for another node to publish.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string[] clients;
            lock (_lock)
            {
                clients = [.. _dirty];
                _dirty.Clear();
            }

            foreach (string clientId in clients)
            {
                await WriteAsync(clientId, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    public void Dispose()
    {
        _signal.Dispose();
        _writing.Dispose();
    }

    private async Task WriteLoopAsync(CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await _signal.WaitAsync(stopping).ConfigureAwait(false);
                await Task.Delay(Coalesce, stopping).ConfigureAwait(false);
                await FlushAsync(stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WriteAsync(string clientId, CancellationToken cancellationToken)
    {
        var states = States;
        string key = ClusterSessions.Key(clientId);
        var state = broker.ClusterState(clientId);
        if (state is { Session.ExpiryInterval: 0, Session.Will: null, ConnectionWill: null })
        {
            state = null; // ends with its connection and leaves no will: nothing for another node to take up
        }

        if (state is null && !_kept.Contains(clientId))
        {
            return; // and nothing of this node's in the bucket: a clean session costs NATS nothing here
        }

        try
        {
            var entry = await states.TryGetEntryAsync<byte[]>(key, cancellationToken: cancellationToken).ConfigureAwait(false);
            bool keptHere = !entry.Success || entry.Value.Value is not { Length: > 0 } data || HandOverCodec.DecodeState(data).Node == node;
            if (state is not null)
            {
                if (!keptHere && !await ownedHere(clientId, cancellationToken).ConfigureAwait(false))
                {
                    _kept.Remove(clientId);
                    return; // another node took the session up while this one was cut off: its state is the one
                }

                await states.PutAsync(key, HandOverCodec.EncodeState(node, state), cancellationToken: cancellationToken).ConfigureAwait(false);
                _kept.Add(clientId);
                return;
            }

            _kept.Remove(clientId);

            // Gone from here: ended, or handed over, in which case the new owner writes its own state, so only an entry
            // that is still this node's is deleted (compare-and-delete on its revision).
            if (entry.Success && keptHere)
            {
                await states.DeleteAsync(key, new NatsKVDeleteOpts { Revision = entry.Value.Revision }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NatsException or FormatException or System.Text.Json.JsonException or InvalidDataException)
        {
            WriteFailed(logger, ex, clientId);
        }
    }

    [LoggerMessage(330, LogLevel.Warning, "Cluster: the state of the session of '{ClientId}' could not be written to NATS; if this node dies, it is taken up from an older state.")]
    private static partial void WriteFailed(ILogger logger, Exception exception, string clientId);
}
