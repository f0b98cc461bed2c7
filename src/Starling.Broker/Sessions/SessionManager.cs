using Starling.Broker.Connections;
using Starling.Broker.Diagnostics;
using Starling.Broker.Routing;
using Starling.Broker.Storage;
using Starling.Mqtt.Packets;

namespace Starling.Broker.Sessions;

/// <summary>
/// Creates, resumes, takes over and ends sessions. One lock serialises the CONNECT-time decisions of all
/// client ids, so two connections racing for one id see a consistent order; it is never held while a
/// hook runs or a socket is written.
/// </summary>
internal sealed class SessionManager
{
    private readonly BrokerContext _broker;
    private readonly Lock _connectGate = new();

    public SessionManager(BrokerContext broker, ISessionStore store)
    {
        _broker = broker;
        Store = store;
    }

    public ISessionStore Store { get; }

    /// <summary>
    /// Binds <paramref name="connection"/> to the session of <paramref name="clientId"/>. A session already
    /// used by another connection is taken from it [MQTT-3.1.4-2]; that connection is returned in
    /// <paramref name="previous"/> for the caller to close. Clean start, or a previous session that ended
    /// with its connection, gives a new session [MQTT-3.1.2-6]. The session stays locked
    /// while <see cref="MqttConnection.OnAttachedLocked"/> writes CONNACK, so no delivery overtakes it.
    /// </summary>
    public Session Attach(MqttConnection connection, string clientId, bool cleanStart, bool endsWithConnection, ConnAckPacket connack, out MqttConnection? previous)
    {
        lock (_connectGate)
        {
            previous = null;
            if (Store.TryGet(clientId, out var existing))
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

                if (cleanStart || existing.EndsWithConnection || existing.Ended)
                {
                    End(existing);
                    existing = null;
                }
            }

            var session = existing ?? new Session(clientId, _broker);
            if (existing is null)
            {
                Store.Set(session);
            }

            lock (session.Gate)
            {
                session.Connection = connection;
                session.EndsWithConnection = endsWithConnection;
                session.ExpiresAt = long.MaxValue;
                connection.OnAttachedLocked(session, sessionPresent: existing is not null, connack);
            }

            return session;
        }
    }

    /// <summary>
    /// A connection using <paramref name="session"/> has closed. If it still owned the session, the session
    /// either ends (clean session) or waits for its client, queueing messages, until it expires.
    /// </summary>
    public void Detach(Session session, MqttConnection connection)
    {
        lock (_connectGate)
        {
            lock (session.Gate)
            {
                if (session.Connection != connection)
                {
                    return; // taken over: the session now belongs to another connection.
                }

                session.Connection = null;
                uint expiry = _broker.Options.PersistentSessionExpirySeconds;
                session.ExpiresAt = expiry == 0 ? long.MaxValue : Environment.TickCount64 + (expiry * 1000L);
            }

            if (session.EndsWithConnection)
            {
                End(session);
            }
        }
    }

    /// <summary>Ends the sessions whose expiry has passed.</summary>
    public void ExpireSessions(long now)
    {
        foreach (var session in Store.Snapshot())
        {
            if (session.ExpiresAt <= now && !session.IsConnected)
            {
                lock (_connectGate)
                {
                    if (!session.IsConnected && session.ExpiresAt <= now)
                    {
                        End(session);
                    }
                }
            }
        }
    }

    /// <summary>Ends a session: its subscriptions leave the tree and its queues are dropped.</summary>
    private void End(Session session)
    {
        Subscription[] subscriptions;
        lock (session.Gate)
        {
            session.Ended = true;
            subscriptions = [.. session.Subscriptions.Values];
            session.ClearLocked();
        }

        foreach (var subscription in subscriptions)
        {
            _broker.Router.Unsubscribe(subscription);
        }

        Store.Remove(session);
    }
}
