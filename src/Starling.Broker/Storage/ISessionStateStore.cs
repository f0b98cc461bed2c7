namespace Starling.Broker.Storage;

/// <summary>
/// Where the persistable state of sessions is kept across broker restarts. Unlike <see cref="Sessions.SessionRegistry"/>,
/// which indexes the live sessions, this holds plain records (<see cref="StoredSession"/>), so a backend needs no
/// access to the engine's objects. Contract: <see cref="Save"/> replaces the client's record and returns once it is
/// stored; <see cref="Delete"/> removes it (the session ended); <see cref="Load"/> returns every record saved and not
/// deleted, and is called once when the broker starts.
/// </summary>
public interface ISessionStateStore
{
    /// <summary>Stores or replaces the record of <paramref name="session"/>'s client.</summary>
    void Save(StoredSession session);

    /// <summary>Removes a client's record; nothing when there is none.</summary>
    void Delete(string clientId);

    /// <summary>Every record stored.</summary>
    IReadOnlyCollection<StoredSession> Load();
}
