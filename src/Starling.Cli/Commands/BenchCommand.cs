using System.CommandLine;
using System.Net.Sockets;
using Starling.Cli.Bench;
using Starling.Mqtt;

namespace Starling.Cli.Commands;

/// <summary><c>starling bench</c>: the load generator (p2p, fanin, fanout, pub, sub, conn) on raw sockets.</summary>
internal static class BenchCommand
{
    public static Command Create(CliConsole console)
    {
        var scenario = new Argument<BenchScenario>("scenario")
        {
            Description = "p2p: N pairs, publisher i -> bench/%i -> subscriber i. fanin: N publishers -> 1 subscriber (bench/in/#). "
                + "fanout: 1 publisher -> N subscribers (bench/out). pub / sub: only publishers / only subscribers (run the other side in another process). "
                + "conn: open N connections at --rate per second and hold them for --duration.",
            HelpName = "p2p|fanin|fanout|pub|sub|conn",
        };
        var host = new Option<string>("--host", "-h") { Description = "Broker host name or address.", DefaultValueFactory = _ => "localhost" };
        var port = new Option<int>("--port", "-p") { Description = "Broker port.", DefaultValueFactory = _ => 1883 }.InRange(1, 65535);
        var version = OptionParsers.ProtocolVersion("MQTT version: 3.1.1 or 5 (3.1 works too). Default 3.1.1.");
        var qos = OptionParsers.QoS("QoS of publications and subscriptions.");
        var subscriberPort = new Option<int?>("--subscriber-port") { HelpName = "PORT", Description = "Subscribers connect to this port instead (another node of a cluster, to measure the crossing)." }.InRange(1, 65535);
        var clients = new Option<int>("--clients", "-c") { HelpName = "N", Description = "p2p: pairs; fanin/pub: publishers; fanout/sub: subscribers; conn: connections.", DefaultValueFactory = _ => 10 }.InRange(1, 1_000_000);
        var publishers = new Option<int?>("--publishers") { HelpName = "N", Description = "Publishers (overrides --clients for p2p, fanin and pub)." }.InRange(1, 100_000);
        var subscribers = new Option<int?>("--subscribers") { HelpName = "N", Description = "Subscribers (overrides --clients for p2p, fanout and sub)." }.InRange(1, 100_000);
        var stalled = new Option<int>("--stalled")
        {
            HelpName = "N",
            Description = "Also connect N subscribers on the same filter (subscriber 0's) that stop reading after their SUBACK, with a 4 KB receive buffer: "
                + "a broker's slow-consumer handling. They are left out of every figure and of the publishers' window; the summary says how many the broker disconnected.",
            DefaultValueFactory = _ => 0,
        }.InRange(0, 100_000);
        var size = new Option<int>("--size", "-s") { HelpName = "BYTES", Description = $"Payload size; at least {BenchSettings.PayloadHeaderSize} (publisher index, sequence, timestamp).", DefaultValueFactory = _ => 64 }.InRange(BenchSettings.PayloadHeaderSize, 256 * 1024 * 1024);
        var rate = new Option<double>("--rate", "-r") { HelpName = "N", Description = "Messages per second per publisher, 0 = as fast as the window allows (conn: connections per second, 0 = 256 at a time).", DefaultValueFactory = _ => 0 }.InRange(0, 10_000_000);
        var inflight = new Option<int?>("--inflight", "-w") { HelpName = "W", Description = "Window per publisher: unacknowledged (QoS 1, 2) or not yet received (QoS 0) messages. Default 1000 / publishers (fanout: 1000 / subscribers), so about 1000 messages are outstanding in all." }.InRange(1, 65_000);
        var duration = new Option<double>("--duration", "-d") { HelpName = "SECONDS", Description = "Measured time (conn: how long to hold the connections).", DefaultValueFactory = _ => 10 }.InRange(0.1, 86_400);
        var warmup = new Option<double>("--warmup") { HelpName = "SECONDS", Description = "Publishing before the measured window (counted in sent/received, not in throughput or latency).", DefaultValueFactory = _ => 2 }.InRange(0, 3_600);
        var topic = new Option<string?>("--topic", "-t") { HelpName = "TEMPLATE", Description = "Topic template, %i = client index (default bench/%i, fanin bench/in/%i, fanout bench/out). Subscribers use it with %i as + (fanin, sub)." };
        var persistent = new Option<bool>("--persistent") { Description = "Subscribers keep their sessions (clean session 0; 5.0: session expiry 300 s), so a durable broker stores what is queued or in flight for them." };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object on standard output." };
        var quiet = new Option<bool>("--quiet") { Description = "No live progress lines on standard error." };

        var command = new Command("bench", "Measure a broker: throughput, loss, ordering and end-to-end latency, or connection rate.");
        command.Arguments.Add(scenario);
        foreach (var option in new Option[] { host, port, subscriberPort, version, qos, clients, publishers, subscribers, stalled, size, rate, inflight, duration, warmup, topic, persistent, json, quiet })
        {
            command.Options.Add(option);
        }

        CommandRunner.SetAction(command, console, async (parse, ct) =>
        {
            var kind = parse.GetValue(scenario);
            var n = parse.GetValue(clients);
            var pubs = parse.GetValue(publishers) ?? n;
            var subs = parse.GetValue(subscribers) ?? n;
            if (kind == BenchScenario.P2p && parse.GetValue(publishers) is null && parse.GetValue(subscribers) is { } s)
            {
                pubs = s;
            }
            else if (kind == BenchScenario.P2p)
            {
                subs = pubs;
            }

            if (parse.GetValue(stalled) > 0 && kind is BenchScenario.Pub or BenchScenario.Conn)
            {
                throw new CliException(ExitCodes.BadArguments, "--stalled needs subscribers: p2p, fanin, fanout or sub.");
            }

            var template = parse.GetValue(topic);
            var (publishTopic, subscribeFilter) = kind switch
            {
                BenchScenario.Fanin => (template ?? "bench/in/%i", template?.Replace("%i", "+", StringComparison.Ordinal) ?? "bench/in/#"),
                BenchScenario.Fanout => (BenchSettings.Expand(template ?? "bench/out", 0), BenchSettings.Expand(template ?? "bench/out", 0)),
                BenchScenario.Sub => (template ?? "bench/%i", template?.Replace("%i", "+", StringComparison.Ordinal) ?? "bench/#"),
                _ => (template ?? "bench/%i", template ?? "bench/%i"),
            };
            var publisherCount = kind switch { BenchScenario.Fanout => 1, BenchScenario.Sub => 0, _ => pubs };
            var settings = new BenchSettings
            {
                Scenario = kind,
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                SubscriberPort = parse.GetValue(subscriberPort),
                Publishers = pubs,
                Subscribers = subs,
                Connections = n,
                Stalled = parse.GetValue(stalled),
                PersistentSubscribers = parse.GetValue(persistent),
                QoS = parse.GetValue(qos) ?? MqttQualityOfService.AtMostOnce,
                Size = parse.GetValue(size),
                Rate = parse.GetValue(rate),
                InFlight = parse.GetValue(inflight) ?? Math.Max(1, 1000 / Math.Max(1, Math.Max(publisherCount, kind is BenchScenario.Fanout ? subs : 1))),
                Duration = TimeSpan.FromSeconds(parse.GetValue(duration)),
                Warmup = kind == BenchScenario.Conn ? TimeSpan.Zero : TimeSpan.FromSeconds(parse.GetValue(warmup)),
                Version = parse.GetValue(version) ?? MqttProtocolVersion.V311,
                TopicTemplate = publishTopic,
                SubscriptionTemplate = subscribeFilter,
                Json = parse.GetValue(json),
                Live = !parse.GetValue(quiet),
            };

            try
            {
                if (kind == BenchScenario.Conn)
                {
                    var result = await new ConnBench(settings, console).RunAsync(ct).ConfigureAwait(false);
                    await console.Out.WriteLineAsync(settings.Json ? result.ToJson() : result.ToText()).ConfigureAwait(false);
                    return result.ConnectTimes.Count == 0 ? ExitCodes.Unreachable : result.Errors > 0 ? ExitCodes.Incomplete : ExitCodes.Success;
                }

                var summary = await new BenchRunner(settings, console).RunAsync(ct).ConfigureAwait(false);
                await console.Out.WriteLineAsync(settings.Json ? summary.ToJson() : summary.ToText()).ConfigureAwait(false);
                return summary.Errors > 0 ? ExitCodes.Incomplete : ExitCodes.Success;
            }
            catch (SocketException ex)
            {
                throw new CliException(ExitCodes.Unreachable, $"cannot connect to {settings.Host}:{settings.Port}: {ex.Message}", ex);
            }
            catch (Exception ex) when (ex is IOException or EndOfStreamException)
            {
                throw new CliException(ExitCodes.Unreachable, $"{settings.Host}:{settings.Port}: {ex.Message}", ex);
            }
        });
        return command;
    }
}
