using System.CommandLine;
using System.Threading.Channels;
using Starling.Cli.Output;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Cli.Commands;

/// <summary><c>starling sub</c>: subscribe to one or more filters and print messages as they arrive.</summary>
internal static class SubCommand
{
    public static Command Create(CliConsole console)
    {
        var connection = new ConnectionOptions("sub");
        var topics = new Option<string[]>("--topic", "-t") { Description = "Topic filter to subscribe to (repeatable; + and # wildcards).", Required = true, Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var qos = new Option<MqttQualityOfService[]>("--qos", "-q")
        {
            Description = "Requested QoS: once for every filter, or once per -t in the same order.",
            HelpName = "0|1|2",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            CustomParser = result => [.. result.Tokens.Select(t => OptionParsers.ParseQoS(result, t.Value))],
        };
        var format = new Option<OutputFormat>("--format", "-F") { Description = "Output: payload (the payload only), topic (topic and payload) or json (one object per message).", DefaultValueFactory = _ => OutputFormat.Payload };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print the topic before the payload (same as --format topic)." };
        var base64 = new Option<bool>("--base64") { Description = "With --format json: always give the payload as payloadBase64." };
        var count = new Option<int?>("--count", "-C") { HelpName = "N", Description = "Exit after this many messages." }.InRange(1, int.MaxValue);
        var timeout = new Option<double?>("--timeout", "-W") { HelpName = "SECONDS", Description = "Exit after this many seconds (with code 5 if --count messages had not arrived)." }.InRange(0.001, 31_536_000);
        var noRetained = new Option<bool>("--no-retained", "-R") { Description = "Do not print retained messages (those flagged retain on arrival)." };
        var noLocal = new Option<bool>("--no-local") { Description = "MQTT 5: do not receive this client's own messages." };
        var retainAsPublished = new Option<bool>("--retain-as-published") { Description = "MQTT 5: keep the retain flag as the publisher set it." };
        var retainHandling = new Option<byte>("--retain-handling") { Description = "MQTT 5: 0 send retained messages on subscribe, 1 only for a new subscription, 2 never.", HelpName = "0|1|2" }.InRange((byte)0, (byte)2);
        var subscriptionId = new Option<uint?>("--subscription-id") { HelpName = "ID", Description = "MQTT 5: subscription identifier (1..268435455), shown in JSON output." }.InRange(1u, 268_435_455u);

        var command = new Command("sub", "Subscribe to topic filters and print the messages that arrive.");
        connection.AddTo(command);
        foreach (var option in new Option[] { topics, qos, format, verbose, base64, count, timeout, noRetained, noLocal, retainAsPublished, retainHandling, subscriptionId })
        {
            command.Options.Add(option);
        }

        command.Validators.Add(result =>
        {
            var filters = result.Value(topics) ?? [];
            foreach (var filter in filters)
            {
                if (!MqttTopic.IsValidTopicFilter(filter))
                {
                    result.AddError($"'{filter}' is not a valid topic filter.");
                }
            }

            var levels = result.Value(qos) ?? [];
            if (levels.Length > 1 && levels.Length != filters.Length)
            {
                result.AddError($"give -q once, or once per -t: {filters.Length} filters but {levels.Length} QoS values.");
            }

            if (result.Value(connection.Version) != MqttProtocolVersion.V500)
            {
                foreach (var v5 in new Option[] { noLocal, retainAsPublished, retainHandling, subscriptionId })
                {
                    if (result.GetResult(v5) is { Implicit: false })
                    {
                        result.AddError($"{v5.Name} is an MQTT 5 subscription option: add -V 5.");
                    }
                }
            }
        });

        CommandRunner.SetAction(
            command,
            console,
            async (parse, ct) =>
            {
                var filters = parse.GetValue(topics)!;
                var levels = parse.GetValue(qos) is { Length: > 0 } given ? given : [MqttQualityOfService.AtMostOnce];
                var subscriptions = filters.Select((filter, i) => new MqttSubscription
                {
                    TopicFilter = filter,
                    QoS = levels.Length == 1 ? levels[0] : levels[i],
                    NoLocal = parse.GetValue(noLocal),
                    RetainAsPublished = parse.GetValue(retainAsPublished),
                    RetainHandling = parse.GetValue(retainHandling),
                }).ToList();
                var outputFormat = parse.GetValue(verbose) ? OutputFormat.Topic : parse.GetValue(format);
                var forceBase64 = parse.GetValue(base64);
                var limit = parse.GetValue(count);
                var skipRetained = parse.GetValue(noRetained);

                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
                if (parse.GetValue(timeout) is { } seconds)
                {
                    deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
                }

                await using var client = await connection.ConnectAsync(parse, deadline.Token).ConfigureAwait(false);
                var properties = parse.GetValue(subscriptionId) is { } id ? new MqttProperties { SubscriptionIdentifiers = [id] } : null;
                var subAck = await client.SubscribeAsync(subscriptions, properties, deadline.Token).ConfigureAwait(false);
                for (var i = 0; i < subAck.ReasonCodes.Count && i < filters.Length; i++)
                {
                    if (subAck.ReasonCodes[i].IsFailure())
                    {
                        throw new CliException(ExitCodes.Refused, $"the broker refused the subscription to '{filters[i]}': {subAck.ReasonCodes[i]} (0x{(byte)subAck.ReasonCodes[i]:X2}).");
                    }
                }

                console.Subscribed?.Invoke();
                var received = 0;
                try
                {
                    while (limit is null || received < limit)
                    {
                        PublishPacket message;
                        try
                        {
                            message = await client.ReadAsync(deadline.Token).ConfigureAwait(false);
                        }
                        catch (ChannelClosedException)
                        {
                            var why = await client.Completion.ConfigureAwait(false);
                            throw new CliException(ExitCodes.Unreachable, $"the connection ended: {why}.");
                        }

                        if (skipRetained && message.Retain)
                        {
                            continue;
                        }

                        await console.Out.WriteLineAsync(MessageFormatter.Format(message, outputFormat, forceBase64)).ConfigureAwait(false);
                        await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                        received++;
                    }
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    await client.DisconnectAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
                    if (limit is { } expected && received < expected)
                    {
                        await console.Error.WriteLineAsync($"starling sub: timed out with {received} of {expected} messages.").ConfigureAwait(false);
                        return ExitCodes.Incomplete;
                    }

                    return ExitCodes.Success;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    await client.DisconnectAsync(cancellationToken: CancellationToken.None).ConfigureAwait(false);
                    return ExitCodes.Success;
                }

                await client.DisconnectAsync(cancellationToken: ct).ConfigureAwait(false);
                return ExitCodes.Success;
            },
            interruptedExitCode: ExitCodes.Success);
        return command;
    }
}
