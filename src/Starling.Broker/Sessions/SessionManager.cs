using System.Collections.Concurrent;
using Starling.Broker.Diagnostics;
using Starling.Broker.Routing;
using Starling.Broker.Storage;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Sessions;

/// <summary>
/// Creates, resumes, takes over, expires and ends sessions. One lock serialises the CONNECT-time decisions of
/// all client ids, so two connections racing for one id see a consistent order; it is never held while a
/// hook runs or a socket is written. Disconnected sessions that will expire, or hold a delayed will, sit in
/// a watch list that the broker's once-a-second sweep walks; the other sessions cost the sweep nothing.
/// </summary>
internal sealed class SessionManager
{
    private readonly BrokerContext _broker;
    private readonly Lock _connectGate = new();
    private readonly ConcurrentDictionary<Session, byte> _watched = new();

    public SessionManager(BrokerContext broker, ISessionStateStore? state)
    {
        _broker = broker;
        State = state;
    }

    /// <summary>The live sessions.</summary>
    public SessionRegistry Live { get; } = new();

    /// <summary>Where the persistable state of sessions is saved for the next broker, or null to keep none.</summary>
    public ISessionStateStore? State { get; }

    /// <summary>
    /// Binds <paramref name="connection"/> to the session of <paramref name="clientId"/>. A session already
    /// used by another connection is taken from it [MQTT-3.1.4-2]; that connection is returned in
    /// <paramref name="previous"/> for the caller to close. Clean start, or a previous session that ended
    /// with its connection, gives a new session [MQTT-3.1.2-4]. The session stays locked while
    /// <see cref="ISessionConnection.OnAttachedLocked"/> writes CONNACK, so no delivery overtakes it.
    /// </summary>
    public Session Attach(ISessionConnection connection, string clientId, bool cleanStart, uint expiryInterval, ConnAckPacket connack, out ISessionConnection? previous)
    {
        lock (_connectGate)
        {
            previous = null;
            if (Live.TryGet(clientId, out var existing))
            {
                lock (existing.Gate)
                {
                    previous = existing.Connection;
                    existing.Connection = null;
                }

                if (previous is not null)
                {
                    BrokerLog.TakenOver(_broker.Logger, clientId);
                }

                bool expired = previous is null && existing.ExpiresAt <= Environment.TickCount64; // expired, not yet swept
                if (cleanStart || expired || existing.Ended || (previous is not null && existing.EndsWithConnection))
                {
                    End(existing);
                    existing = null;
                }
            }

            var session = existing ?? new Session(clientId, _broker);
            if (existing is null)
            {
                Live.Set(session);
            }

            lock (session.Gate)
            {
                session.Connection = connection;
                session.ExpiryInterval = expiryInterval;
                session.ExpiresAt = long.MaxValue;
                session.PendingWill = null; // resumed in time: a delayed will is cancelled [MQTT-3.1.3-9]
                session.JournalAttachedLocked();
                connection.OnAttachedLocked(session, sessionPresent: existing is not null, connack);
            }

            _watched.TryRemove(session, out _);
            return session;
        }
    }

    /// <summary>
    /// Another broker of the cluster takes <paramref name="clientId"/>'s session: its connection here, if any, is returned
    /// in <paramref name="previous"/> for the caller to close as a takeover, and the session leaves this broker. Its state
    /// is returned when <paramref name="export"/> and it would have been resumed here (not ended, expired or bound to
    /// its connection), a delayed will going with it; otherwise null, and a delayed will is published as the session ends.
    /// </summary>
    public StoredSession? HandOver(string clientId, bool export, out ISessionConnection? previous)
    {
        lock (_connectGate)
        {
            previous = null;
            if (!Live.TryGet(clientId, out var existing))
            {
                return null;
            }

            StoredSession? record = null;
            lock (existing.Gate)
            {
                previous = existing.Connection;
                existing.Connection = null;
                bool expired = previous is null && existing.ExpiresAt <= Environment.TickCount64;
                if (export && !expired && !existing.Ended && !(previous is not null && existing.EndsWithConnection))
                {
                    record = existing.ToStoredLocked();
                    existing.PendingWill = null; // it travels in the record
                }
            }

            if (previous is not null)
            {
                BrokerLog.TakenOver(_broker.Logger, clientId);
            }

            End(existing);
            _watched.TryRemove(existing, out _);
            return record;
        }
    }

    /// <summary>
    /// Ends a session without publishing its delayed will: a copy this broker restored or kept of a session another
    /// broker of the cluster owns now, which that broker answers for (will included). A connected one only when
    /// <paramref name="evenConnected"/>: its connection is returned in <paramref name="previous"/> for the caller to
    /// close. False when there is no such session.
    /// </summary>
    public bool Discard(string clientId, bool evenConnected, out ISessionConnection? previous)
    {
        previous = null;
        lock (_connectGate)
        {
            if (!Live.TryGet(clientId, out var session))
            {
                return false;
            }

            lock (session.Gate)
            {
                if (session.Connection is not null && !evenConnected)
                {
                    return false;
                }

                previous = session.Connection;
                session.Connection = null;
                session.PendingWill = null;
            }

            End(session);
            _watched.TryRemove(session, out _);
            return true;
        }
    }

    /// <summary>What the cluster keeps of <paramref name="clientId"/>'s session for another broker to take up; null when it has none here.</summary>
    public ClusterSessionState? ClusterState(string clientId)
    {
        if (!Live.TryGet(clientId, out var session))
        {
            return null;
        }

        lock (session.Gate)
        {
            if (session.Ended)
            {
                return null;
            }

            uint delay = 0;
            var will = session.Connection?.PendingWill(out delay);
            return new ClusterSessionState(session.ToStoredHeaderLocked(), session.Connection is not null, will?.ToStored(), delay);
        }
    }

    /// <summary>
    /// Takes up a session another broker of the cluster handed over, disconnected, its subscriptions in the tree, for
    /// the connection about to attach to it. Nothing when this broker holds a session of that client already.
    /// </summary>
    public void Import(StoredSession record)
    {
        lock (_connectGate)
        {
            if (Live.TryGet(record.ClientId, out _))
            {
                return;
            }

            var session = new Session(record.ClientId, _broker);
            Subscription[] subscriptions;
            lock (session.Gate)
            {
                subscriptions = session.RestoreLocked(record);
                session.ImportedLocked(); // the journal has no rows of it here: they are written whole as it attaches
            }

            Live.Set(session);
            foreach (var subscription in subscriptions)
            {
                _broker.Router.Subscribe(subscription);
            }

            if (session.ExpiresAt != long.MaxValue || session.PendingWill is not null)
            {
                _watched[session] = 0;
            }
        }
    }

    /// <summary>
    /// A connection using <paramref name="session"/> has closed. If it still owned the session, the session
    /// either ends (expiry 0) or waits for its client, queueing messages, until it expires.
    /// </summary>
    public DetachOutcome Detach(Session session, ISessionConnection connection)
    {
        lock (_connectGate)
        {
            lock (session.Gate)
            {
                if (session.Connection != connection)
                {
                    return DetachOutcome.TakenOver;
                }

                session.Connection = null;
                session.ExpiresAt = session.ExpiryInterval == uint.MaxValue
                    ? long.MaxValue
                    : Environment.TickCount64 + (session.ExpiryInterval * 1000L);
            }

            if (session.EndsWithConnection)
            {
                End(session);
                return DetachOutcome.Ended;
            }

            if (session.ExpiresAt != long.MaxValue)
            {
                _watched[session] = 0;
            }

            Save(session);
            return DetachOutcome.Kept;
        }
    }

    /// <summary>Holds a will until its delay has passed or the session ends, whichever is first.</summary>
    public void DelayWill(Session session, ApplicationMessage will, uint delaySeconds)
    {
        lock (session.Gate)
        {
            if (session.IsConnected || session.Ended)
            {
                return;
            }

            session.PendingWill = will;
            session.PendingWillAt = Environment.TickCount64 + (delaySeconds * 1000L);
        }

        _watched[session] = 0;
        Save(session);
    }

    /// <summary>
    /// Takes up the sessions a previous broker saved: each waits, disconnected, for its client, its subscriptions in
    /// the tree, so messages published before the client returns are queued for it. Called once, before any connection.
    /// </summary>
    public int Restore()
    {
        if (State is null)
        {
            return 0;
        }

        var restored = new List<string>();
        foreach (var record in State.Load())
        {
            var session = new Session(record.ClientId, _broker);
            Subscription[] subscriptions;
            lock (session.Gate)
            {
                subscriptions = session.RestoreLocked(record);
            }

            if (session.ExpiresAt <= Environment.TickCount64)
            {
                State.Delete(record.ClientId); // expired while the broker was down
                continue;
            }

            Live.Set(session);
            foreach (var subscription in subscriptions)
            {
                _broker.Router.Subscribe(subscription);
            }

            if (session.ExpiresAt != long.MaxValue || session.PendingWill is not null)
            {
                _watched[session] = 0;
            }

            restored.Add(record.ClientId);
        }

        _broker.RemoteSessions?.Restored(restored);
        return restored.Count;
    }

    /// <summary>Saves every session that outlives its connection, as the broker stops: what was queued since each detach is kept too.</summary>
    public void SaveAll()
    {
        if (_broker.Journal is not null)
        {
            return; // every change is in the journal already
        }

        foreach (var session in Live.Snapshot())
        {
            Save(session);
        }
    }

    private void Save(Session session)
    {
        lock (session.Gate)
        {
            // The expiry or the will changed: the journal (when there is one) and the cluster hear it; nothing is
            // journaled when the session ended.
            session.JournalHeaderLocked();
        }

        if (_broker.Journal is not null || State is null)
        {
            return;
        }

        StoredSession record;
        lock (session.Gate)
        {
            if (session.Ended || session.EndsWithConnection)
            {
                return;
            }

            record = session.ToStoredLocked();
        }

        State.Save(record);
    }

    /// <summary>The sweep: publishes delayed wills that are due and ends sessions whose expiry has passed.</summary>
    public void Sweep(long now)
    {
        foreach (var session in _watched.Keys)
        {
            ApplicationMessage? will = null;
            bool expired;
            lock (_connectGate)
            {
                lock (session.Gate)
                {
                    if (session.IsConnected || session.Ended)
                    {
                        _watched.TryRemove(session, out _);
                        continue;
                    }

                    expired = session.ExpiresAt <= now;
                    if (session.PendingWill is not null && (expired || session.PendingWillAt <= now))
                    {
                        // The will goes out at the earlier of its delay and the session's end.
                        will = session.PendingWill;
                        session.PendingWill = null;
                    }
                }

                if (expired)
                {
                    End(session);
                    _watched.TryRemove(session, out _);
                }
                else if (will is not null)
                {
                    Save(session); // the will is gone from the session
                }
                else if (session.PendingWill is null && session.ExpiresAt == long.MaxValue)
                {
                    _watched.TryRemove(session, out _);
                }
            }

            if (will is not null)
            {
                _broker.Publish(will.PublishedNow());
            }
        }
    }

    /// <summary>Ends a session: its subscriptions leave the tree and its queues are dropped.</summary>
    private void End(Session session)
    {
        Subscription[] subscriptions;
        ApplicationMessage? pendingWill;
        lock (session.Gate)
        {
            session.Ended = true;
            subscriptions = session.SubscriptionsLocked();
            pendingWill = session.PendingWill;
            session.PendingWill = null;
            session.JournalDeletedLocked();
            session.ClearLocked();
        }

        foreach (var subscription in subscriptions)
        {
            _broker.Router.Unsubscribe(subscription);
        }

        if (Live.Remove(session) && _broker.Journal is null)
        {
            State?.Delete(session.ClientId);
        }

        if (pendingWill is not null)
        {
            _broker.Publish(pendingWill.PublishedNow()); // the session ended before the will delay ran out
        }
    }
}
