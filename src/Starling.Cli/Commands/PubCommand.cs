using System.CommandLine;
using System.Text;
using Starling.Mqtt;
using Starling.Mqtt.Client;
using Starling.Mqtt.Packets;

namespace Starling.Cli.Commands;

/// <summary><c>starling pub</c>: publish a message from an argument, a file or standard input, once or repeatedly.</summary>
internal static class PubCommand
{
    public static Command Create(CliConsole console)
    {
        var connection = new ConnectionOptions("pub");
        var topic = new Option<string>("--topic", "-t") { Description = "Topic to publish to.", Required = true };
        var message = new Option<string?>("--message", "-m") { Description = "Message payload (UTF-8)." };
        var file = new Option<FileInfo?>("--file", "-f") { HelpName = "FILE", Description = "Send the contents of this file as the payload." };
        var stdin = new Option<bool>("--stdin-file", "-s") { Description = "Read standard input to its end and send it as one message." };
        var lines = new Option<bool>("--stdin-line", "-l") { Description = "Send each line of standard input as a separate message." };
        var empty = new Option<bool>("--null-message", "-n") { Description = "Send an empty (zero-length) payload." };
        var qos = OptionParsers.QoS("Quality of service of the message.");
        var retain = new Option<bool>("--retain", "-r") { Description = "Ask the broker to retain the message." };
        var count = new Option<int>("--count") { HelpName = "N", Description = "Send the message this many times.", DefaultValueFactory = _ => 1 }.InRange(1, int.MaxValue);
        var interval = new Option<double>("--interval") { HelpName = "SECONDS", Description = "Seconds to wait between repeated messages (fractions allowed).", DefaultValueFactory = _ => 0 }.InRange(0, 86400);
        var userProperties = new Option<List<MqttUserProperty>>("--user-property", "-D")
        {
            Description = "MQTT 5: a user property NAME=VALUE (repeatable).",
            HelpName = "NAME=VALUE",
            CustomParser = OptionParsers.ParseUserProperties,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        };
        var contentType = new Option<string?>("--content-type") { Description = "MQTT 5: content type (a MIME type, for example application/json)." };
        var responseTopic = new Option<string?>("--response-topic") { Description = "MQTT 5: response topic for request/response." };
        var correlationData = new Option<string?>("--correlation-data") { Description = "MQTT 5: correlation data (UTF-8)." };
        var messageExpiry = new Option<uint?>("--message-expiry", "-e") { HelpName = "SECONDS", Description = "MQTT 5: message expiry interval in seconds." };
        var topicAlias = new Option<ushort?>("--topic-alias") { HelpName = "N", Description = "MQTT 5: topic alias; the first message carries the topic, repeats send only the alias." }.InRange((ushort)1, ushort.MaxValue);
        var utf8 = new Option<bool>("--payload-utf8") { Description = "MQTT 5: set the payload format indicator (the payload is UTF-8 text)." };

        var command = new Command("pub", "Publish a message (from -m, -f, -s, -l or -n) to a topic.");
        connection.AddTo(command);
        foreach (var option in new Option[] { topic, message, file, stdin, lines, empty, qos, retain, count, interval, userProperties, contentType, responseTopic, correlationData, messageExpiry, topicAlias, utf8 })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            var sources = new Option[] { message, file, stdin, lines, empty }.Count(o => result.GetResult(o) is { Implicit: false });
            if (sources != 1)
            {
                result.AddError(sources == 0
                    ? "no message: give one of -m MESSAGE, -f FILE, -s (stdin), -l (stdin lines) or -n (empty)."
                    : "give only one of -m, -f, -s, -l and -n.");
            }

            if (result.Value(topic) is { } t && !MqttTopic.IsValidTopicName(t))
            {
                result.AddError($"'{t}' is not a valid topic name to publish to (no wildcards + or #, not empty).");
            }

            if (result.Value(connection.Version) != MqttProtocolVersion.V500)
            {
                foreach (var v5 in new Option[] { userProperties, contentType, responseTopic, correlationData, messageExpiry, topicAlias, utf8 })
                {
                    if (result.GetResult(v5) is { Implicit: false })
                    {
                        result.AddError($"{v5.Name} is an MQTT 5 property: add -V 5.");
                    }
                }
            }
        });

        CommandRunner.SetAction(command, console, async (parse, ct) =>
        {
            var properties = new MqttProperties
            {
                UserProperties = parse.GetValue(userProperties) is { Count: > 0 } list ? list : null,
                ContentType = parse.GetValue(contentType),
                ResponseTopic = parse.GetValue(responseTopic),
                CorrelationData = parse.GetValue(correlationData) is { } data ? Encoding.UTF8.GetBytes(data) : null,
                MessageExpiryInterval = parse.GetValue(messageExpiry),
                TopicAlias = parse.GetValue(topicAlias),
                PayloadFormatIndicator = parse.GetValue(utf8) ? (byte)1 : null,
            };
            var publisher = new Publisher(parse.GetValue(topic)!, parse.GetValue(qos) ?? MqttQualityOfService.AtMostOnce, parse.GetValue(retain), properties);

            ReadOnlyMemory<byte> payload = default;
            if (parse.GetValue(message) is { } text)
            {
                payload = Encoding.UTF8.GetBytes(text);
            }
            else if (parse.GetValue(file) is { } path)
            {
                try
                {
                    payload = await File.ReadAllBytesAsync(path.FullName, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CliException($"cannot read '{path}': {ex.Message}");
                }
            }
            else if (parse.GetValue(stdin))
            {
                using var input = console.OpenInput();
                using var buffer = new MemoryStream();
                await input.CopyToAsync(buffer, ct).ConfigureAwait(false);
                payload = buffer.ToArray();
            }

            await using var client = await connection.ConnectAsync(parse, ct).ConfigureAwait(false);
            if (properties.TopicAlias is { } alias && (client.ConnAck?.Properties?.TopicAliasMaximum ?? 0) < alias)
            {
                throw new CliException(ExitCodes.Refused, $"the broker allows topic aliases up to {client.ConnAck?.Properties?.TopicAliasMaximum ?? 0}, not {alias}.");
            }

            if (parse.GetValue(lines))
            {
                using var reader = new StreamReader(console.OpenInput(), Encoding.UTF8);
                while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                {
                    await publisher.PublishAsync(client, Encoding.UTF8.GetBytes(line), ct).ConfigureAwait(false);
                }
            }
            else
            {
                var repeat = parse.GetValue(count);
                var pause = TimeSpan.FromSeconds(parse.GetValue(interval));
                for (var i = 0; i < repeat; i++)
                {
                    if (i > 0 && pause > TimeSpan.Zero)
                    {
                        await Task.Delay(pause, ct).ConfigureAwait(false);
                    }

                    await publisher.PublishAsync(client, payload, ct).ConfigureAwait(false);
                }
            }

            await client.DisconnectAsync(cancellationToken: ct).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Publishes one message after another, sending the topic only once when a topic alias is set.</summary>
    private sealed class Publisher(string topic, MqttQualityOfService qos, bool retain, MqttProperties properties)
    {
        private bool _aliasSent;

        public async Task PublishAsync(MqttClient client, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        {
            var packet = new PublishPacket
            {
                Topic = properties.TopicAlias is not null && _aliasSent ? "" : topic,
                Payload = payload,
                QoS = qos,
                Retain = retain,
                Properties = properties,
            };
            var reason = await client.PublishAsync(packet, cancellationToken).ConfigureAwait(false);
            _aliasSent = true;
            if (reason.IsFailure())
            {
                throw new CliException(ExitCodes.Refused, $"the broker refused the message on '{topic}': {reason} (0x{(byte)reason:X2}).");
            }
        }
    }
}
