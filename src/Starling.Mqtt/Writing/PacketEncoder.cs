using Starling.Mqtt.Packets;
using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Writing;

/// <summary>Remaining lengths and bodies of every packet except PUBLISH (see <see cref="PublishEncoder"/>).</summary>
internal static class PacketEncoder
{
    /// <summary>The version a packet is written as; CONNECT falls back to its own version when none is given.</summary>
    public static MqttProtocolVersion Resolve(MqttPacket packet, MqttProtocolVersion version)
    {
        if (version == MqttProtocolVersion.Unknown && packet is ConnectPacket connect)
        {
            version = connect.ProtocolVersion;
        }

        if (version is not (MqttProtocolVersion.V310 or MqttProtocolVersion.V311 or MqttProtocolVersion.V500))
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "Packets are written as MQTT 3.1, 3.1.1 or 5.0.");
        }

        if (packet is AuthPacket && version != MqttProtocolVersion.V500)
        {
            throw new InvalidOperationException("AUTH exists only in MQTT 5.0.");
        }

        return version;
    }

    /// <summary>The fixed-header flags: 0010 for PUBREL, SUBSCRIBE and UNSUBSCRIBE, 0000 for the others.</summary>
    public static byte Flags(MqttPacketType type)
        => type is MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe ? (byte)0x02 : (byte)0x00;

    /// <summary>The remaining length of <paramref name="packet"/> written as <paramref name="v"/>.</summary>
    public static long GetRemainingLength(MqttPacket packet, MqttProtocolVersion v)
    {
        bool v5 = v == MqttProtocolVersion.V500;
        switch (packet)
        {
            case ConnectPacket c:
                long size = (v == MqttProtocolVersion.V310 ? 8 : 6) + 1 + 1 + 2;
                size += v5 ? PropertiesWriter.GetSizeWithLength(c.Properties) : 0;
                size += Sizes.String(c.ClientId);
                if (c.Will is MqttWill will)
                {
                    size += v5 ? PropertiesWriter.GetSizeWithLength(will.Properties) : 0;
                    size += Sizes.String(will.Topic) + Sizes.Binary(will.Payload.Length);
                }

                size += c.Username is null ? 0 : Sizes.String(c.Username);
                size += c.Password is ReadOnlyMemory<byte> password ? Sizes.Binary(password.Length) : 0;
                return size;
            case ConnAckPacket a:
                return 2 + (v5 ? PropertiesWriter.GetSizeWithLength(a.Properties) : 0);
            case PublishAckPacket a:
                return v5 ? ReasonAndPropertiesSize(a.ReasonCode, a.Properties, 2) : 2;
            case SubscribePacket s:
                long subscribe = 2 + (v5 ? PropertiesWriter.GetSizeWithLength(s.Properties) : 0);
                foreach (MqttSubscription subscription in s.Subscriptions)
                {
                    subscribe += Sizes.String(subscription.TopicFilter) + 1;
                }

                return subscribe;
            case SubAckPacket a:
                return 2 + (v5 ? PropertiesWriter.GetSizeWithLength(a.Properties) : 0) + a.ReasonCodes.Count;
            case UnsubscribePacket u:
                long unsubscribe = 2 + (v5 ? PropertiesWriter.GetSizeWithLength(u.Properties) : 0);
                foreach (string filter in u.TopicFilters)
                {
                    unsubscribe += Sizes.String(filter);
                }

                return unsubscribe;
            case UnsubAckPacket a:
                return 2 + (v5 ? PropertiesWriter.GetSizeWithLength(a.Properties) + a.ReasonCodes.Count : 0);
            case PingReqPacket or PingRespPacket:
                return 0;
            case DisconnectPacket d:
                return v5 ? ReasonAndPropertiesSize(d.ReasonCode, d.Properties, 0) : 0;
            case AuthPacket a:
                return ReasonAndPropertiesSize(a.ReasonCode, a.Properties, 0);
            default:
                throw new ArgumentException($"Cannot write a {packet.GetType().Name}.", nameof(packet));
        }
    }

    /// <summary>Writes the variable header and payload.</summary>
    public static void WriteBody(ref SpanWriter w, MqttPacket packet, MqttProtocolVersion v)
    {
        bool v5 = v == MqttProtocolVersion.V500;
        switch (packet)
        {
            case ConnectPacket c:
                WriteConnect(ref w, c, v);
                break;
            case ConnAckPacket a:
                if (v5)
                {
                    w.WriteByte(a.SessionPresent ? (byte)1 : (byte)0);
                    w.WriteByte((byte)a.ReasonCode);
                    WriteProperties(ref w, a.Properties);
                }
                else
                {
                    // 3.1 has no Session Present flag: the byte is unused and written as 0.
                    w.WriteByte(a.SessionPresent && v == MqttProtocolVersion.V311 ? (byte)1 : (byte)0);
                    w.WriteByte(MqttReasonCodeMapping.ToV3ConnectReturnCode(a.ReasonCode));
                }

                break;
            case PublishAckPacket a:
                w.WriteUInt16(a.PacketId);
                if (v5)
                {
                    WriteReasonAndProperties(ref w, a.ReasonCode, a.Properties, shortFormEmpty: true);
                }

                break;
            case SubscribePacket s:
                w.WriteUInt16(s.PacketId);
                if (v5)
                {
                    WriteProperties(ref w, s.Properties);
                }

                foreach (MqttSubscription subscription in s.Subscriptions)
                {
                    w.WriteString(subscription.TopicFilter);
                    int options = (int)subscription.QoS & 0x03;
                    if (v5)
                    {
                        options |= (subscription.NoLocal ? 0x04 : 0) | (subscription.RetainAsPublished ? 0x08 : 0) | ((subscription.RetainHandling & 0x03) << 4);
                    }

                    w.WriteByte((byte)options);
                }

                break;
            case SubAckPacket a:
                w.WriteUInt16(a.PacketId);
                if (v5)
                {
                    WriteProperties(ref w, a.Properties);
                }

                foreach (MqttReasonCode code in a.ReasonCodes)
                {
                    w.WriteByte(v5 ? (byte)code : MqttReasonCodeMapping.ToV3SubAckReturnCode(code));
                }

                break;
            case UnsubscribePacket u:
                w.WriteUInt16(u.PacketId);
                if (v5)
                {
                    WriteProperties(ref w, u.Properties);
                }

                foreach (string filter in u.TopicFilters)
                {
                    w.WriteString(filter);
                }

                break;
            case UnsubAckPacket a:
                w.WriteUInt16(a.PacketId);
                if (v5)
                {
                    // 3.1.1 UNSUBACK has no payload.
                    WriteProperties(ref w, a.Properties);
                    foreach (MqttReasonCode code in a.ReasonCodes)
                    {
                        w.WriteByte((byte)code);
                    }
                }

                break;
            case DisconnectPacket d:
                if (v5)
                {
                    WriteReasonAndProperties(ref w, d.ReasonCode, d.Properties, shortFormEmpty: true);
                }

                break;
            case AuthPacket a:
                WriteReasonAndProperties(ref w, a.ReasonCode, a.Properties, shortFormEmpty: true);
                break;
            default:
                break;
        }
    }

    private static void WriteConnect(ref SpanWriter w, ConnectPacket c, MqttProtocolVersion v)
    {
        bool v5 = v == MqttProtocolVersion.V500;
        w.WriteBinary(v == MqttProtocolVersion.V310 ? "MQIsdp"u8 : "MQTT"u8);
        w.WriteByte((byte)v);
        int flags = c.CleanSession ? 0x02 : 0;
        if (c.Will is MqttWill will)
        {
            flags |= 0x04 | (((int)will.QoS & 0x03) << 3) | (will.Retain ? 0x20 : 0);
        }

        flags |= c.Password.HasValue ? 0x40 : 0;
        flags |= c.Username is null ? 0 : 0x80;
        w.WriteByte((byte)flags);
        w.WriteUInt16(c.KeepAlive);
        if (v5)
        {
            WriteProperties(ref w, c.Properties);
        }

        w.WriteString(c.ClientId);
        if (c.Will is MqttWill w2)
        {
            if (v5)
            {
                WriteProperties(ref w, w2.Properties);
            }

            w.WriteString(w2.Topic);
            w.WriteBinary(w2.Payload.Span);
        }

        if (c.Username is not null)
        {
            w.WriteString(c.Username);
        }

        if (c.Password is ReadOnlyMemory<byte> password)
        {
            w.WriteBinary(password.Span);
        }
    }

    private static void WriteProperties(ref SpanWriter w, MqttProperties? properties)
        => PropertiesWriter.WriteWithLength(ref w, properties, PropertiesWriter.GetContentSize(properties));

    /// <summary>
    /// 5.0 acks, DISCONNECT and AUTH: the reason code and property length are omitted for Success without
    /// properties, and the property length alone is omitted when there are no properties.
    /// </summary>
    private static long ReasonAndPropertiesSize(MqttReasonCode code, MqttProperties? properties, int prefix)
    {
        int content = PropertiesWriter.GetContentSize(properties);
        if (content == 0)
        {
            return prefix + (code == MqttReasonCode.Success ? 0 : 1);
        }

        return prefix + 1 + VariableByteInteger.GetSize(content) + content;
    }

    private static void WriteReasonAndProperties(ref SpanWriter w, MqttReasonCode code, MqttProperties? properties, bool shortFormEmpty)
    {
        int content = PropertiesWriter.GetContentSize(properties);
        if (content == 0 && shortFormEmpty)
        {
            if (code != MqttReasonCode.Success)
            {
                w.WriteByte((byte)code);
            }

            return;
        }

        w.WriteByte((byte)code);
        PropertiesWriter.WriteWithLength(ref w, properties, content);
    }
}
