using System.Buffers;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Reading;

/// <summary>Parses 5.0 properties (section 2.2.2) and enforces the packet table of section 2.2.2.2.</summary>
internal static class PropertiesReader
{
    // Bit n stands for packet type n; bit 0 stands for the will properties of CONNECT.
    private const int Will = 1 << 0;
    private const int Connect = 1 << 1;
    private const int ConnAck = 1 << 2;
    private const int Publish = 1 << 3;
    private const int PubAck = 1 << 4;
    private const int PubRec = 1 << 5;
    private const int PubRel = 1 << 6;
    private const int PubComp = 1 << 7;
    private const int Subscribe = 1 << 8;
    private const int SubAck = 1 << 9;
    private const int Unsubscribe = 1 << 10;
    private const int UnsubAck = 1 << 11;
    private const int Disconnect = 1 << 14;
    private const int Auth = 1 << 15;
    private const int AllAcks = PubAck | PubRec | PubRel | PubComp | SubAck | UnsubAck;

    /// <summary>Where each property may appear (table 2-4 of section 2.2.2.2), by property id.</summary>
    private static int AllowedIn(byte id) => id switch
    {
        0x01 or 0x02 or 0x03 or 0x08 or 0x09 => Publish | Will,
        0x0B => Publish | Subscribe,
        0x11 => Connect | ConnAck | Disconnect,
        0x12 or 0x13 or 0x1A or 0x24 or 0x25 or 0x28 or 0x29 or 0x2A => ConnAck,
        0x15 or 0x16 => Connect | ConnAck | Auth,
        0x17 or 0x19 => Connect,
        0x18 => Will,
        0x1C => ConnAck | Disconnect,
        0x1F => ConnAck | AllAcks | Disconnect | Auth,
        0x21 or 0x22 or 0x27 => Connect | ConnAck,
        0x23 => Publish,
        0x26 => Will | Connect | ConnAck | Publish | AllAcks | Subscribe | Unsubscribe | Disconnect | Auth,
        _ => 0,
    };

    /// <summary>Reads a property length and the properties it covers.</summary>
    public static MqttProperties? ReadWithLength(ref PacketBodyReader reader, MqttPacketType packetType, bool isWill = false)
    {
        int length = reader.ReadVariableByteInteger("property length");
        if (length == 0)
        {
            return null;
        }

        ReadOnlySequence<byte> bytes = reader.ReadBytes(length, "properties");
        return Read(bytes, packetType, isWill);
    }

    /// <summary>Parses raw property bytes.</summary>
    public static MqttProperties Read(in ReadOnlySequence<byte> bytes, MqttPacketType packetType, bool isWill)
    {
        var properties = new MqttProperties();
        var reader = new PacketBodyReader(bytes);
        int mask = isWill ? Will : 1 << (int)packetType;
        ulong seen = 0;
        while (!reader.End)
        {
            // The identifier is a variable byte integer; every defined one fits in one byte.
            int id = reader.ReadVariableByteInteger("property identifier");
            int allowed = id is > 0 and < 64 ? AllowedIn((byte)id) : 0;
            if (allowed == 0)
            {
                throw MqttErrors.Malformed("property-unknown", $"Unknown property identifier 0x{id:X2}.");
            }

            if ((allowed & mask) == 0)
            {
                string where = isWill ? "the will properties" : packetType.ToString().ToUpperInvariant();
                throw MqttErrors.Malformed("property-not-allowed", $"Property {(MqttPropertyId)id} is not allowed in {where}.");
            }

            var propertyId = (MqttPropertyId)id;
            bool repeatable = propertyId == MqttPropertyId.UserProperty
                || propertyId == MqttPropertyId.SubscriptionIdentifier && packetType == MqttPacketType.Publish && !isWill;
            ulong bit = 1UL << id;
            if (!repeatable && (seen & bit) != 0)
            {
                throw MqttErrors.Protocol("property-duplicate", $"Property {propertyId} is given more than once.");
            }

            seen |= bit;
            ReadValue(ref reader, propertyId, properties);
        }

        return properties;
    }

    private static void ReadValue(ref PacketBodyReader reader, MqttPropertyId id, MqttProperties p)
    {
        switch (id)
        {
            case MqttPropertyId.PayloadFormatIndicator:
                p.PayloadFormatIndicator = ReadZeroOrOne(ref reader, id);
                break;
            case MqttPropertyId.MessageExpiryInterval:
                p.MessageExpiryInterval = reader.ReadUInt32("Message Expiry Interval");
                break;
            case MqttPropertyId.ContentType:
                p.ContentType = reader.ReadString("Content Type");
                break;
            case MqttPropertyId.ResponseTopic:
                p.ResponseTopic = reader.ReadString("Response Topic");
                break;
            case MqttPropertyId.CorrelationData:
                p.CorrelationData = reader.ReadBinary("Correlation Data");
                break;
            case MqttPropertyId.SubscriptionIdentifier:
                int subscriptionId = reader.ReadVariableByteInteger("Subscription Identifier");
                if (subscriptionId == 0)
                {
                    // [MQTT-3.8.2.1.2] / section 3.3.2.3.8: a value of 0 is a Protocol Error.
                    throw MqttErrors.Protocol("subscription-identifier-zero", "A Subscription Identifier of 0 is a Protocol Error.");
                }

                (p.SubscriptionIdentifiers ??= []).Add((uint)subscriptionId);
                break;
            case MqttPropertyId.SessionExpiryInterval:
                p.SessionExpiryInterval = reader.ReadUInt32("Session Expiry Interval");
                break;
            case MqttPropertyId.AssignedClientIdentifier:
                p.AssignedClientIdentifier = reader.ReadString("Assigned Client Identifier");
                break;
            case MqttPropertyId.ServerKeepAlive:
                p.ServerKeepAlive = reader.ReadUInt16("Server Keep Alive");
                break;
            case MqttPropertyId.AuthenticationMethod:
                p.AuthenticationMethod = reader.ReadString("Authentication Method");
                break;
            case MqttPropertyId.AuthenticationData:
                p.AuthenticationData = reader.ReadBinary("Authentication Data");
                break;
            case MqttPropertyId.RequestProblemInformation:
                p.RequestProblemInformation = ReadZeroOrOne(ref reader, id);
                break;
            case MqttPropertyId.WillDelayInterval:
                p.WillDelayInterval = reader.ReadUInt32("Will Delay Interval");
                break;
            case MqttPropertyId.RequestResponseInformation:
                p.RequestResponseInformation = ReadZeroOrOne(ref reader, id);
                break;
            case MqttPropertyId.ResponseInformation:
                p.ResponseInformation = reader.ReadString("Response Information");
                break;
            case MqttPropertyId.ServerReference:
                p.ServerReference = reader.ReadString("Server Reference");
                break;
            case MqttPropertyId.ReasonString:
                p.ReasonString = reader.ReadString("Reason String");
                break;
            case MqttPropertyId.ReceiveMaximum:
                ushort receiveMaximum = reader.ReadUInt16("Receive Maximum");
                if (receiveMaximum == 0)
                {
                    // Section 3.1.2.11.3 / 3.2.2.3.3: "It is a Protocol Error ... to have the value 0."
                    throw MqttErrors.Protocol("receive-maximum-zero", "A Receive Maximum of 0 is a Protocol Error.");
                }

                p.ReceiveMaximum = receiveMaximum;
                break;
            case MqttPropertyId.TopicAliasMaximum:
                p.TopicAliasMaximum = reader.ReadUInt16("Topic Alias Maximum");
                break;
            case MqttPropertyId.TopicAlias:
                p.TopicAlias = reader.ReadUInt16("Topic Alias");
                break;
            case MqttPropertyId.MaximumQoS:
                p.MaximumQoS = ReadZeroOrOne(ref reader, id);
                break;
            case MqttPropertyId.RetainAvailable:
                p.RetainAvailable = ReadZeroOrOne(ref reader, id);
                break;
            case MqttPropertyId.UserProperty:
                string name = reader.ReadString("User Property name");
                string value = reader.ReadString("User Property value");
                (p.UserProperties ??= []).Add(new MqttUserProperty(name, value));
                break;
            case MqttPropertyId.MaximumPacketSize:
                uint maximumPacketSize = reader.ReadUInt32("Maximum Packet Size");
                if (maximumPacketSize == 0)
                {
                    // Section 3.1.2.11.4 / 3.2.2.3.6: "It is a Protocol Error ... for the value to be set to zero."
                    throw MqttErrors.Protocol("maximum-packet-size-zero", "A Maximum Packet Size of 0 is a Protocol Error.");
                }

                p.MaximumPacketSize = maximumPacketSize;
                break;
            case MqttPropertyId.WildcardSubscriptionAvailable:
                p.WildcardSubscriptionAvailable = ReadZeroOrOne(ref reader, id);
                break;
            case MqttPropertyId.SubscriptionIdentifierAvailable:
                p.SubscriptionIdentifierAvailable = ReadZeroOrOne(ref reader, id);
                break;
            case MqttPropertyId.SharedSubscriptionAvailable:
                p.SharedSubscriptionAvailable = ReadZeroOrOne(ref reader, id);
                break;
            default:
                throw MqttErrors.Malformed("property-unknown", $"Unknown property identifier 0x{(byte)id:X2}.");
        }
    }

    private static byte ReadZeroOrOne(ref PacketBodyReader reader, MqttPropertyId id)
    {
        byte value = reader.ReadByte(id.ToString());
        if (value > 1)
        {
            // E.g. section 3.1.2.11.6: "It is a Protocol Error to include ... a value other than 0 or 1."
            throw MqttErrors.Protocol("property-value-range", $"{id} must be 0 or 1, not {value}.");
        }

        return value;
    }
}
