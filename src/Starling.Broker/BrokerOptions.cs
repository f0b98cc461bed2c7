namespace Starling.Broker;

/// <summary>Settings of the engine. Every limit here is documented in docs/configuration.md.</summary>
public sealed class BrokerOptions
{
    /// <summary>
    /// Largest packet accepted from a client, in bytes, fixed header included. The declared remaining length
    /// is checked against it before any byte of the packet is buffered, and a receive buffer grows only with the
    /// bytes that actually arrive. Default 16 MiB: a legal 1 MiB payload and far larger ones pass (EMQX's 1 MB default
    /// refuses them), while one payload still fits within <see cref="MaximumQueuedBytes"/> (64 MiB) of an offline
    /// session, which mosquitto's default of the protocol maximum (256 MB) would not.
    /// </summary>
    public int MaximumPacketSize { get; set; } = 16 * 1024 * 1024;

    /// <summary>Seconds a new connection may take to send CONNECT before it is closed. Default 10.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Unacknowledged QoS 1 and 2 messages the broker keeps in flight to one client; further messages wait
    /// in the session queue. Default 32.
    /// </summary>
    public int MaximumInflightMessages { get; set; } = 32;

    /// <summary>
    /// Messages a session may hold queued beyond its in-flight window (while offline, or while the window is
    /// full). When the queue is full: a new QoS 0 message is dropped; a new QoS 1 or 2 message evicts the
    /// oldest queued QoS 0 message, or is dropped when there is none. Drops are counted. Default 1000.
    /// </summary>
    public int MaximumQueuedMessages { get; set; } = 1000;

    /// <summary>Whether QoS 0 messages are queued for an offline persistent session. Default false, as mosquitto.</summary>
    public bool QueueQoS0WhileOffline { get; set; }

    /// <summary>
    /// Bytes that may wait in one connection's send buffer. Past it, QoS 0 messages to that client are dropped
    /// and QoS 1 and 2 messages wait in the session queue, so a slow reader never holds more. Default 4 MiB.
    /// </summary>
    public int MaximumSendBufferBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Seconds a persistent (clean session = 0) 3.1/3.1.1 session is kept after its client disconnects;
    /// 0 keeps it until the broker stops, which is what 3.1.1 prescribes. Default 0.
    /// </summary>
    public uint PersistentSessionExpirySeconds { get; set; }

    /// <summary>Whether a 3.1.1 client may connect with an empty client id (and clean session), getting an assigned one. Default true.</summary>
    public bool AllowEmptyClientId { get; set; } = true;

    /// <summary>Longest client identifier accepted; longer ones get CONNACK 0x02 / 0x85. Default 65535.</summary>
    public int MaximumClientIdLength { get; set; } = 65535;

    /// <summary>Whether retained messages are stored. Default true.</summary>
    public bool RetainAvailable { get; set; } = true;

    /// <summary>Highest QoS granted to a subscription. Default 2.</summary>
    public int MaximumQoS { get; set; } = 2;

    /// <summary>
    /// 5.0: how many QoS 1 and 2 PUBLISH a client may have unacknowledged towards the broker (Receive Maximum in
    /// CONNACK). A client that sends more gets DISCONNECT 0x93. Default 1024.
    /// </summary>
    public int ReceiveMaximum { get; set; } = 1024;

    /// <summary>5.0: the highest topic alias a client may use towards the broker (Topic Alias Maximum in CONNACK); 0 refuses aliases. Default 64.</summary>
    public int TopicAliasMaximum { get; set; } = 64;

    /// <summary>
    /// 5.0: the most topic aliases the broker assigns towards one client (never more than the client allows).
    /// When all are taken, the least recently used alias is given to the new topic. 0 sends no aliases. Default 64.
    /// </summary>
    public int OutboundTopicAliasMaximum { get; set; } = 64;

    /// <summary>
    /// 5.0: the longest keep-alive allowed, in seconds. A client asking for more, or for none, is told this value
    /// as Server Keep Alive and held to it. 0 accepts whatever the client asks. Default 0.
    /// </summary>
    public int MaximumKeepAliveSeconds { get; set; }

    /// <summary>5.0: the longest Session Expiry Interval granted, in seconds (0xFFFFFFFF: a session may never expire). Default 0xFFFFFFFF.</summary>
    public uint MaximumSessionExpirySeconds { get; set; } = uint.MaxValue;

    /// <summary>Whether wildcard filters may be subscribed (else SUBACK 0xA2). Default true.</summary>
    public bool WildcardSubscriptionAvailable { get; set; } = true;

    /// <summary>Whether 5.0 Subscription Identifiers are supported (else DISCONNECT 0xA1). Default true.</summary>
    public bool SubscriptionIdentifiersAvailable { get; set; } = true;

    /// <summary>Whether $share/{group}/{filter} subscriptions are supported (else SUBACK 0x9E). Default true.</summary>
    public bool SharedSubscriptionsAvailable { get; set; } = true;

    /// <summary>
    /// 5.0: the Response Information returned in CONNACK to a client that sets Request Response Information;
    /// "{clientId}" is replaced by the client's id. Empty sends none. Default "responses/{clientId}".
    /// </summary>
    public string ResponseInformation { get; set; } = "responses/{clientId}";

    /// <summary>Open connections allowed across every listener; more are closed at accept (TCP/TLS) or refused. 0 = no limit. Default 0.</summary>
    public int MaximumConnections { get; set; }

    /// <summary>New connections one source address may open per second; more are closed at accept. 0 = no limit. Default 0.</summary>
    public int MaximumConnectionRatePerAddress { get; set; }

    /// <summary>Longest topic name or filter, in UTF-8 bytes; longer ones are refused (PUBLISH: close / 5.0 DISCONNECT 0x90; SUBSCRIBE: 0x80 / 0x8F). Default 65535.</summary>
    public int MaximumTopicLength { get; set; } = 65535;

    /// <summary>Most levels ('/'-separated) in a topic name or filter; more are refused like an over-long topic. Default 128.</summary>
    public int MaximumTopicLevels { get; set; } = 128;

    /// <summary>Subscriptions one session may hold; a SUBSCRIBE beyond it gets 0x80 (5.0: 0x97 Quota exceeded) for the extra filters. 0 = no limit. Default 0.</summary>
    public int MaximumSubscriptionsPerClient { get; set; }

    /// <summary>
    /// Payload bytes a session may hold queued; past it the same policy as <see cref="MaximumQueuedMessages"/> applies
    /// (QoS 0 dropped first). 0 = no limit. Default 64 MiB.
    /// </summary>
    public long MaximumQueuedBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>PUBLISH packets one client may send per second; faster senders are slowed by pausing reads from their connection. 0 = no limit. Default 0.</summary>
    public int MaximumPublishRate { get; set; }

    /// <summary>PUBLISH payload bytes one client may send per second, enforced by pausing reads. 0 = no limit. Default 0.</summary>
    public long MaximumPublishBytesRate { get; set; }

    /// <summary>Seconds a client's socket may take no bytes (no progress on a send) before the client is disconnected. Default 30.</summary>
    public int SendTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Seconds a connection the broker closes lingers after its last packet (a DISCONNECT with a reason, a refusing
    /// CONNACK, the answers still queued): the output is ended (TCP FIN, TLS close_notify, WebSocket close frame) and
    /// whatever the client still sends is read and discarded until it closes or this time passes. Closing at once with
    /// unread bytes would make the kernel answer with a reset, and the client could lose the DISCONNECT and its
    /// reason code. 0 closes at once. Default 2.
    /// </summary>
    public int CloseLingerSeconds { get; set; } = 2;

    /// <summary>Whether clients may connect without a user name. When false, a CONNECT without one is refused (CONNACK 0x05 / 0x87) unless a hook authenticates it. Default true.</summary>
    public bool AllowAnonymous { get; set; } = true;

    /// <summary>Checks the values and throws naming the bad key.</summary>
    public void Validate()
    {
        Require(MaximumPacketSize is >= 64 and <= 268_435_460, nameof(MaximumPacketSize), "must be between 64 and 268435460");
        Require(ConnectTimeoutSeconds > 0, nameof(ConnectTimeoutSeconds), "must be positive");
        Require(MaximumInflightMessages is > 0 and <= 65535, nameof(MaximumInflightMessages), "must be between 1 and 65535");
        Require(MaximumQueuedMessages >= 0, nameof(MaximumQueuedMessages), "must not be negative");
        Require(MaximumSendBufferBytes >= 1024, nameof(MaximumSendBufferBytes), "must be at least 1024");
        Require(MaximumClientIdLength is > 0 and <= 65535, nameof(MaximumClientIdLength), "must be between 1 and 65535");
        Require(MaximumQoS is >= 0 and <= 2, nameof(MaximumQoS), "must be 0, 1 or 2");
        Require(ReceiveMaximum is > 0 and <= 65535, nameof(ReceiveMaximum), "must be between 1 and 65535");
        Require(TopicAliasMaximum is >= 0 and <= 65535, nameof(TopicAliasMaximum), "must be between 0 and 65535");
        Require(OutboundTopicAliasMaximum is >= 0 and <= 65535, nameof(OutboundTopicAliasMaximum), "must be between 0 and 65535");
        Require(MaximumKeepAliveSeconds is >= 0 and <= 65535, nameof(MaximumKeepAliveSeconds), "must be between 0 and 65535");
        Require(MaximumConnections >= 0, nameof(MaximumConnections), "must not be negative");
        Require(MaximumConnectionRatePerAddress >= 0, nameof(MaximumConnectionRatePerAddress), "must not be negative");
        Require(MaximumTopicLength is > 0 and <= 65535, nameof(MaximumTopicLength), "must be between 1 and 65535");
        Require(MaximumTopicLevels > 0, nameof(MaximumTopicLevels), "must be positive");
        Require(MaximumSubscriptionsPerClient >= 0, nameof(MaximumSubscriptionsPerClient), "must not be negative");
        Require(MaximumQueuedBytes >= 0, nameof(MaximumQueuedBytes), "must not be negative");
        Require(MaximumPublishRate >= 0, nameof(MaximumPublishRate), "must not be negative");
        Require(MaximumPublishBytesRate >= 0, nameof(MaximumPublishBytesRate), "must not be negative");
        Require(SendTimeoutSeconds > 0, nameof(SendTimeoutSeconds), "must be positive");
        Require(CloseLingerSeconds is >= 0 and <= 60, nameof(CloseLingerSeconds), "must be between 0 and 60");
    }

    private static void Require(bool condition, string key, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"Starling:{key} {message}.", key);
        }
    }
}
