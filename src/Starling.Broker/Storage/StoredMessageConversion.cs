using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Broker.Storage;

/// <summary>
/// The one place a live <see cref="ApplicationMessage"/> becomes a <see cref="StoredMessage"/> and back: the session
/// records and every retained-message backend convert through it, so a message's expiry survives a restart the same
/// way everywhere.
/// </summary>
public static class StoredMessageConversion
{
    /// <summary>The plain-data form of <paramref name="message"/>; its expiry becomes a wall-clock time.</summary>
    public static StoredMessage ToStored(this ApplicationMessage message) => ToStored(message, StoreClock.Now());

    /// <summary>
    /// The live message of <paramref name="stored"/>, its Message Expiry Interval set to what remains [MQTT-3.3.2-6];
    /// null when it has expired, unless <paramref name="keepExpired"/> (a message already in flight is resent anyway).
    /// </summary>
    public static ApplicationMessage? ToLive(this StoredMessage stored, bool keepExpired = false) => ToLive(stored, StoreClock.Now(), keepExpired);

    internal static StoredMessage ToStored(ApplicationMessage message, StoreClock clock) =>
        new(message.Topic, message.Payload.ToArray(), message.QoS, message.Retain, message.Properties, message.SenderClientId, clock.ToUtc(message.ExpiresAt));

    internal static ApplicationMessage? ToLive(StoredMessage stored, StoreClock clock, bool keepExpired)
    {
        var properties = stored.Properties;
        if (stored.ExpiresAtUtc is { } expiresAt)
        {
            double remaining = Math.Ceiling((expiresAt - clock.Utc).TotalSeconds);
            if (remaining <= 0 && !keepExpired)
            {
                return null;
            }

            properties = properties?.Clone() ?? new MqttProperties();
            properties.MessageExpiryInterval = (uint)Math.Max(0, remaining);
        }

        return new ApplicationMessage(stored.Topic, stored.Payload, stored.QoS, stored.Retain, properties, stored.SenderClientId);
    }
}
