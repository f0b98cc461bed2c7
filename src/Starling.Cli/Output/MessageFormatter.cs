using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Cli.Output;

/// <summary>Turns a received PUBLISH into one line of output.</summary>
internal static class MessageFormatter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Format(PublishPacket message, OutputFormat format, bool forceBase64 = false) => format switch
    {
        OutputFormat.Topic => $"{message.Topic} {Text(message.Payload.Span)}",
        OutputFormat.Json => Json(message, forceBase64),
        _ => Text(message.Payload.Span),
    };

    private static string Text(ReadOnlySpan<byte> payload) => Encoding.UTF8.GetString(payload);

    private static bool TryStrict(ReadOnlyMemory<byte> bytes, out string text)
    {
        try
        {
            text = StrictUtf8.GetString(bytes.Span);
            return true;
        }
        catch (DecoderFallbackException)
        {
            text = "";
            return false;
        }
    }

    private static string Json(PublishPacket message, bool forceBase64)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + message.Payload.Length * 2);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("topic", message.Topic);
            json.WriteNumber("qos", (int)message.QoS);
            json.WriteBoolean("retain", message.Retain);
            if (message.Dup)
            {
                json.WriteBoolean("dup", true);
            }

            if (message.Properties is { } properties)
            {
                WriteProperties(json, properties);
            }

            WriteBytes(json, "payload", message.Payload, forceBase64);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteBytes(Utf8JsonWriter json, string name, ReadOnlyMemory<byte> bytes, bool forceBase64)
    {
        if (!forceBase64 && TryStrict(bytes, out var text))
        {
            json.WriteString(name, text);
        }
        else
        {
            json.WriteBase64String(name + "Base64", bytes.Span);
        }
    }

    private static void WriteProperties(Utf8JsonWriter json, MqttProperties properties)
    {
        json.WriteStartObject("properties");
        if (properties.PayloadFormatIndicator is { } format)
        {
            json.WriteNumber("payloadFormatIndicator", format);
        }

        if (properties.MessageExpiryInterval is { } expiry)
        {
            json.WriteNumber("messageExpiryInterval", expiry);
        }

        if (properties.ContentType is { } contentType)
        {
            json.WriteString("contentType", contentType);
        }

        if (properties.ResponseTopic is { } responseTopic)
        {
            json.WriteString("responseTopic", responseTopic);
        }

        if (properties.CorrelationData is { } correlation)
        {
            WriteBytes(json, "correlationData", correlation, forceBase64: false);
        }

        if (properties.TopicAlias is { } alias)
        {
            json.WriteNumber("topicAlias", alias);
        }

        if (properties.SubscriptionIdentifiers is { Count: > 0 } ids)
        {
            json.WriteStartArray("subscriptionIdentifiers");
            foreach (var id in ids)
            {
                json.WriteNumberValue(id);
            }

            json.WriteEndArray();
        }

        if (properties.UserProperties is { Count: > 0 } userProperties)
        {
            json.WriteStartArray("userProperties");
            foreach (var property in userProperties)
            {
                json.WriteStartObject();
                json.WriteString("name", property.Name);
                json.WriteString("value", property.Value);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }
}
