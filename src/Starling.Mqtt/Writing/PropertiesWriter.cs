using Starling.Mqtt.Primitives;

namespace Starling.Mqtt.Writing;

/// <summary>Writes 5.0 properties in identifier order; it writes whatever is set, the reader enforces the table.</summary>
internal static class PropertiesWriter
{
    /// <summary>The size of the properties without their length prefix; 0 for null.</summary>
    public static int GetContentSize(MqttProperties? p) => p is null ? 0 : GetContentSize(p, Own(p));

    /// <summary>The size of a forwarded PUBLISH's properties: <paramref name="p"/> with <paramref name="o"/> in place of the per-delivery ones.</summary>
    public static int GetContentSize(MqttProperties? p, in MqttPublishOverrides o)
    {
        int size = (o.TopicAlias.HasValue ? 3 : 0) + SubscriptionIdentifiersSize(o.SubscriptionIdentifiers);
        uint? expiry = o.MessageExpiryInterval ?? p?.MessageExpiryInterval;
        size += expiry.HasValue ? 5 : 0;
        return p is null ? size : size + SharedContentSize(p);
    }

    /// <summary>The size of the properties other than Topic Alias, Subscription Identifiers and Message Expiry Interval.</summary>
    private static int SharedContentSize(MqttProperties p)
    {
        int size = 0;
        size += p.PayloadFormatIndicator.HasValue ? 2 : 0;
        size += p.ContentType is null ? 0 : 1 + Sizes.String(p.ContentType);
        size += p.ResponseTopic is null ? 0 : 1 + Sizes.String(p.ResponseTopic);
        size += p.CorrelationData.HasValue ? 1 + Sizes.Binary(p.CorrelationData.Value.Length) : 0;
        size += p.SessionExpiryInterval.HasValue ? 5 : 0;
        size += p.AssignedClientIdentifier is null ? 0 : 1 + Sizes.String(p.AssignedClientIdentifier);
        size += p.ServerKeepAlive.HasValue ? 3 : 0;
        size += p.AuthenticationMethod is null ? 0 : 1 + Sizes.String(p.AuthenticationMethod);
        size += p.AuthenticationData.HasValue ? 1 + Sizes.Binary(p.AuthenticationData.Value.Length) : 0;
        size += p.RequestProblemInformation.HasValue ? 2 : 0;
        size += p.WillDelayInterval.HasValue ? 5 : 0;
        size += p.RequestResponseInformation.HasValue ? 2 : 0;
        size += p.ResponseInformation is null ? 0 : 1 + Sizes.String(p.ResponseInformation);
        size += p.ServerReference is null ? 0 : 1 + Sizes.String(p.ServerReference);
        size += p.ReasonString is null ? 0 : 1 + Sizes.String(p.ReasonString);
        size += p.ReceiveMaximum.HasValue ? 3 : 0;
        size += p.TopicAliasMaximum.HasValue ? 3 : 0;
        size += p.MaximumQoS.HasValue ? 2 : 0;
        size += p.RetainAvailable.HasValue ? 2 : 0;
        if (p.UserProperties is not null)
        {
            foreach (MqttUserProperty user in p.UserProperties)
            {
                size += 1 + Sizes.String(user.Name) + Sizes.String(user.Value);
            }
        }

        size += p.MaximumPacketSize.HasValue ? 5 : 0;
        size += p.WildcardSubscriptionAvailable.HasValue ? 2 : 0;
        size += p.SubscriptionIdentifierAvailable.HasValue ? 2 : 0;
        size += p.SharedSubscriptionAvailable.HasValue ? 2 : 0;
        return size;
    }

    private static int SubscriptionIdentifiersSize(IReadOnlyList<uint>? ids)
    {
        int size = 0;
        if (ids is not null)
        {
            for (int i = 0; i < ids.Count; i++)
            {
                // An indexed loop: foreach over the interface would allocate an enumerator per delivery.
                uint id = ids[i];
                if (id is 0 or > VariableByteInteger.MaxValue)
                {
                    throw new ArgumentOutOfRangeException(nameof(ids), id, "A Subscription Identifier is 1 to 268,435,455.");
                }

                size += 1 + VariableByteInteger.GetSize((int)id);
            }
        }

        return size;
    }

    /// <summary>The per-delivery properties a <see cref="MqttProperties"/> carries itself, for writing it as it is.</summary>
    public static MqttPublishOverrides Own(MqttProperties? p) => p is null ? default :
        new() { TopicAlias = p.TopicAlias, SubscriptionIdentifiers = p.SubscriptionIdentifiers, MessageExpiryInterval = p.MessageExpiryInterval };

    /// <summary>The size of the property length prefix plus the properties.</summary>
    public static int GetSizeWithLength(MqttProperties? p)
    {
        int content = GetContentSize(p);
        return VariableByteInteger.GetSize(content) + content;
    }

    /// <summary>Writes the property length, then the properties.</summary>
    public static void WriteWithLength(ref SpanWriter w, MqttProperties? p, int contentSize)
    {
        if (p is null)
        {
            w.WriteVariableByteInteger(contentSize);
            return;
        }

        WriteWithLength(ref w, p, Own(p), contentSize);
    }

    /// <summary>Writes the property length, then <paramref name="p"/> with <paramref name="o"/> in place of the per-delivery properties.</summary>
    public static void WriteWithLength(ref SpanWriter w, MqttProperties? p, in MqttPublishOverrides o, int contentSize)
    {
        w.WriteVariableByteInteger(contentSize);
        if (p?.PayloadFormatIndicator is byte pfi)
        {
            w.WriteByte((byte)MqttPropertyId.PayloadFormatIndicator);
            w.WriteByte(pfi);
        }

        WriteUInt32(ref w, MqttPropertyId.MessageExpiryInterval, o.MessageExpiryInterval ?? p?.MessageExpiryInterval);
        if (p is not null)
        {
            WriteString(ref w, MqttPropertyId.ContentType, p.ContentType);
            WriteString(ref w, MqttPropertyId.ResponseTopic, p.ResponseTopic);
            WriteBinary(ref w, MqttPropertyId.CorrelationData, p.CorrelationData);
        }

        if (o.SubscriptionIdentifiers is not null)
        {
            for (int i = 0; i < o.SubscriptionIdentifiers.Count; i++)
            {
                w.WriteByte((byte)MqttPropertyId.SubscriptionIdentifier);
                w.WriteVariableByteInteger((int)o.SubscriptionIdentifiers[i]);
            }
        }

        if (p is null)
        {
            WriteUInt16(ref w, MqttPropertyId.TopicAlias, o.TopicAlias);
            return;
        }

        WriteUInt32(ref w, MqttPropertyId.SessionExpiryInterval, p.SessionExpiryInterval);
        WriteString(ref w, MqttPropertyId.AssignedClientIdentifier, p.AssignedClientIdentifier);
        WriteUInt16(ref w, MqttPropertyId.ServerKeepAlive, p.ServerKeepAlive);
        WriteString(ref w, MqttPropertyId.AuthenticationMethod, p.AuthenticationMethod);
        WriteBinary(ref w, MqttPropertyId.AuthenticationData, p.AuthenticationData);
        WriteByte(ref w, MqttPropertyId.RequestProblemInformation, p.RequestProblemInformation);
        WriteUInt32(ref w, MqttPropertyId.WillDelayInterval, p.WillDelayInterval);
        WriteByte(ref w, MqttPropertyId.RequestResponseInformation, p.RequestResponseInformation);
        WriteString(ref w, MqttPropertyId.ResponseInformation, p.ResponseInformation);
        WriteString(ref w, MqttPropertyId.ServerReference, p.ServerReference);
        WriteString(ref w, MqttPropertyId.ReasonString, p.ReasonString);
        WriteUInt16(ref w, MqttPropertyId.ReceiveMaximum, p.ReceiveMaximum);
        WriteUInt16(ref w, MqttPropertyId.TopicAliasMaximum, p.TopicAliasMaximum);
        WriteUInt16(ref w, MqttPropertyId.TopicAlias, o.TopicAlias);
        WriteByte(ref w, MqttPropertyId.MaximumQoS, p.MaximumQoS);
        WriteByte(ref w, MqttPropertyId.RetainAvailable, p.RetainAvailable);
        if (p.UserProperties is not null)
        {
            foreach (MqttUserProperty user in p.UserProperties)
            {
                w.WriteByte((byte)MqttPropertyId.UserProperty);
                w.WriteString(user.Name);
                w.WriteString(user.Value);
            }
        }

        WriteUInt32(ref w, MqttPropertyId.MaximumPacketSize, p.MaximumPacketSize);
        WriteByte(ref w, MqttPropertyId.WildcardSubscriptionAvailable, p.WildcardSubscriptionAvailable);
        WriteByte(ref w, MqttPropertyId.SubscriptionIdentifierAvailable, p.SubscriptionIdentifierAvailable);
        WriteByte(ref w, MqttPropertyId.SharedSubscriptionAvailable, p.SharedSubscriptionAvailable);
    }

    private static void WriteByte(ref SpanWriter w, MqttPropertyId id, byte? value)
    {
        if (value is byte v)
        {
            w.WriteByte((byte)id);
            w.WriteByte(v);
        }
    }

    private static void WriteUInt16(ref SpanWriter w, MqttPropertyId id, ushort? value)
    {
        if (value is ushort v)
        {
            w.WriteByte((byte)id);
            w.WriteUInt16(v);
        }
    }

    private static void WriteUInt32(ref SpanWriter w, MqttPropertyId id, uint? value)
    {
        if (value is uint v)
        {
            w.WriteByte((byte)id);
            w.WriteUInt32(v);
        }
    }

    private static void WriteString(ref SpanWriter w, MqttPropertyId id, string? value)
    {
        if (value is not null)
        {
            w.WriteByte((byte)id);
            w.WriteString(value);
        }
    }

    private static void WriteBinary(ref SpanWriter w, MqttPropertyId id, ReadOnlyMemory<byte>? value)
    {
        if (value is ReadOnlyMemory<byte> v)
        {
            w.WriteByte((byte)id);
            w.WriteBinary(v.Span);
        }
    }
}
