using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Starling.Compare;

/// <summary>Turns the results into the Markdown section of BENCHMARKS.md.</summary>
internal sealed class Report(
    Options options,
    IReadOnlyList<BrokerDefinition> brokers,
    IReadOnlyList<Scenario> scenarios,
    IReadOnlyList<Result> results,
    Paths paths,
    TimeSpan elapsed,
    IReadOnlyDictionary<string, double> brokerSeconds)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    public static string OneLine(Result r)
    {
        var what = r.Scenario == "idle"
            ? $"{r.Connections} connected in {F(r.ConnectSeconds, "F2")} s, {Bytes(r.RssPerConnectionBytes)}/connection"
            : $"{Rate(r.Throughput)}, p99 {Micros(r.P99Us)}, lost {r.Lost?.ToString(C) ?? "?"}";
        return $"[run {r.Run}] {r.Broker,-9} {r.Scenario,-15} {what}, peak RSS {Bytes(r.PeakRssBytes)}, broker CPU {F(r.BrokerCpu, "F0")}%, " +
            $"generator {F(r.GeneratorCpu, "F0")}%, other {F(r.OtherCpu, "F0")}% ({r.WallSeconds:F0} s)" + (r.Error is null ? "" : $"  ERROR: {r.Error}");
    }

    public static string FirstLine(string text) => text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";

    /// <summary>Replaces the section that starts with <paramref name="heading"/> (up to the next "## " heading) by <paramref name="markdown"/>.</summary>
    public static void ReplaceSection(string file, string heading, string markdown)
    {
        var lines = File.Exists(file) ? File.ReadAllLines(file).ToList() : [];
        var start = lines.FindIndex(l => l.TrimEnd() == heading);
        var replacement = markdown.TrimEnd('\n').Split('\n');
        if (start < 0)
        {
            lines.Add("");
            lines.AddRange(replacement);
        }
        else
        {
            var end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
            var last = end < 0;
            lines.RemoveRange(start, (last ? lines.Count : end) - start);
            lines.InsertRange(start, last ? replacement : [.. replacement, ""]);
        }

        File.WriteAllText(file, string.Join('\n', lines).TrimEnd('\n') + "\n");
    }

    public string Markdown()
    {
        var md = new StringBuilder();
        var starling = brokers.FirstOrDefault(b => b.Id == "starling");
        var peers = brokers.Where(b => b.Id != "starling").ToList();
        var median = options.Runs > 1 ? $"the median of {options.Runs} runs" : "one run (no median: `--runs 1`)";

        md.AppendLine("## Broker against peers");
        md.AppendLine();
        md.AppendLine(C, $"Starling and other MQTT brokers measured side by side by [`bench/compare`](bench/README.md#broker-against-peers-benchcompare) " +
            $"on {DateTime.UtcNow:yyyy-MM-dd} (UTC), with the `starling bench` load generator on the same machine. Every figure is {median}.");
        md.AppendLine();

        md.AppendLine("### Machine");
        md.AppendLine();
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        md.AppendLine(C, $"| CPU | {CpuModel()}, `nproc` = {Environment.ProcessorCount} |");
        md.AppendLine(C, $"| Memory | {MemoryTotal()} |");
        md.AppendLine(C, $"| OS | {OsName()}, kernel {Brokers.Run("uname", ["-r"])} |");
        md.AppendLine(C, $"| .NET | SDK {Brokers.Run("dotnet", ["--version"])}, runtime {Environment.Version} |");
        foreach (var b in brokers)
        {
            md.AppendLine(C, $"| {b.Name} | {b.Version(paths)} |");
        }

        md.AppendLine();
        md.AppendLine($"The {Environment.ProcessorCount} cores were shared with other work during the run, and the broker and the load generator " +
            "compete for them: the numbers are noisy (see the CPU table: \"other\" is everything else on the machine). " +
            "Compare within a row, and treat differences below about 30 % as noise.");
        md.AppendLine();

        md.AppendLine("### Method");
        md.AppendLine();
        md.AppendLine(C, $"- Command: `{options.CommandLine ?? "bench/compare/run.sh"}` from the repository root.");
        md.AppendLine($"- Each run: {options.Warmup} s warm-up, then {options.Duration} s measured (`starling bench ... --warmup {options.Warmup} --duration {options.Duration} --json`). " +
            $"Runs: {options.Runs}; {(options.Runs > 1 ? "each figure below is the median of the runs, taken separately for each figure." : "single numbers, not medians.")} " +
            "The matrix is run broker by broker; with several runs, the whole matrix is repeated, so a broker's runs are spread over time.");
        md.AppendLine("- Each broker is started afresh for every scenario on 127.0.0.1 and a free port, waited for until it accepts TCP connections plus 1 s, " +
            "and stopped (SIGTERM) afterwards; so **peak RSS** is the broker's own VmHWM (`/proc/PID/status`) over that scenario alone, startup included.");
        md.AppendLine("- Publishers pause while more than W messages ahead of the slowest subscriber of their messages (`--inflight W`): " +
            "W = 100 for every publisher: about 1,000 messages outstanding in p2p and fan-in (10 publishers), 100 messages (5,000 deliveries) in fan-out " +
            "(the CLI's default of 1,000 for a single publisher added latency, not throughput). " +
            "So **throughput** is messages received per second by all subscribers at full speed, and **p99** is the 99th percentile of publish-to-receive latency " +
            "at that window (queueing included, not unloaded latency); timestamps are taken with a monotonic clock in the load generator's own process.");
        md.AppendLine("- Scenarios: p2p = 10 publishers each to its own subscriber on its own topic; fan-in = 10 publishers to 1 subscriber; " +
            "fan-out = 1 publisher to 50 subscribers of one topic. MQTT 3.1.1 (`starling bench` default), QoS 0 and 1, payloads of 64 B and 4 KB (4096 B).");
        md.AppendLine("- Slow subscriber: the fan-out 1→50 at QoS 0, 64 B, plus one subscriber (`--stalled 1`) that connects and subscribes like the others, " +
            "then never reads its socket (4 KB receive buffer); it is left out of every figure and of the publisher's window. " +
            "Every broker runs that scenario with its own default per-client queue limits (not the raised ones below), so its peak RSS shows whether they bound memory.");
        md.AppendLine($"- Idle connections: {options.IdleConnections:N0} MQTT 3.1.1 connections, each CONNECT (clean session, keep-alive 0, own client id) " +
            $"then one SUBSCRIBE (QoS 0, own topic), opened by the harness itself over raw sockets, {options.ConnectParallelism} at a time. " +
            "To warm the broker up (JIT tiering included), 4 rounds of 250 connections are opened and closed, 1 s apart. **RSS per connection** = (VmRSS 2 s after the last SUBACK − VmRSS before), " +
            $"each the average of 3 readings 0.5 s apart, ÷ {options.IdleConnections:N0}; **time** = first CONNECT to last SUBACK.");
        md.AppendLine("- CPU (`/proc/PID/stat` utime + stime, and `/proc/stat` for the whole machine) is sampled every 250 ms; the CPU figures cover the last " +
            $"{options.Duration} s of the load generator's run (the measured window, approximately) and are in % of one core " +
            $"(up to {Environment.ProcessorCount * 100} % here); for idle connections, the time spent connecting.");
        var perBroker = string.Join(", ", brokers.Select(b => $"{b.Name} {brokerSeconds[b.Id] / 60:F1} min"));
        md.AppendLine(C, $"- Time taken: {elapsed.TotalMinutes:F1} min for the whole comparison ({perBroker}), builds and installs by `run.sh` not included.");
        md.AppendLine();

        md.AppendLine("### Results");
        md.AppendLine();
        md.AppendLine("Throughput (messages received per second) · p99 latency · peak RSS of the broker. " +
            "For idle connections: RSS per connection · time to connect them all · peak RSS.");
        md.AppendLine();
        Table(md, "scenario", brokers.Select(b => b.Name), s => brokers.Select(b => Cell(s, b.Id)));
        md.AppendLine();

        if (scenarios.FirstOrDefault(s => s.Stalled > 0) is { } slow)
        {
            md.AppendLine("### Slow subscriber");
            md.AppendLine();
            md.AppendLine("Fan-out 1→50 without and with one more subscriber that stops reading after its SUBACK (`starling bench fanout --stalled 1`): " +
                "throughput of the 50 live subscribers, its ratio (target: 0.9× or more), the same ratio for deliveries per second of broker CPU " +
                "(less at the mercy of other work on the machine), and the broker's peak RSS. " +
                "The stalled run keeps every broker's own per-client limits (Starling: 4 MiB send buffer per connection, beyond which QoS 0 is dropped; " +
                "mosquitto: `max_queued_messages` 1000; MQTTnet: 1,000 pending messages per client; NATS and aedes: their defaults, which the harness does not change anyway).");
            md.AppendLine();
            SlowSubscriberTable(md, slow);
            md.AppendLine();
        }

        if (starling is not null && peers.Count > 0)
        {
            md.AppendLine("### Starling's ratio to each peer");
            md.AppendLine();
            md.AppendLine("Starling ÷ peer, per figure: throughput above 1× means Starling delivered more; p99 and RSS below 1× mean Starling's were lower. " +
                "For idle connections: RSS per connection and time to connect.");
            md.AppendLine();
            Table(md, "scenario", peers.Select(p => "vs " + p.Name), s => peers.Select(p => RatioCell(s, p.Id)));
            md.AppendLine();
        }

        md.AppendLine("### CPU and delivery");
        md.AppendLine();
        md.AppendLine("CPU over the measured window in % of one core: broker / load generator / everything else on the machine. " +
            "Then messages the load generator counted as lost, duplicated or out of order (sums over the runs; \"—\" = none).");
        md.AppendLine();
        Table(md, "scenario", brokers.Select(b => b.Name), s => brokers.Select(b => CpuCell(s, b.Id)));
        md.AppendLine();

        var failures = results.Where(r => r.Error is not null || r.GeneratorErrors is not null).ToList();
        if (failures.Count > 0)
        {
            md.AppendLine("Errors reported during the runs:");
            md.AppendLine();
            foreach (var r in failures)
            {
                md.AppendLine(C, $"- {Name(r.Broker)}, {r.Scenario}, run {r.Run}: {Escape(r.Error ?? "")}{(r.GeneratorErrors is null ? "" : $" generator errors: `{Escape(Shorten(r.GeneratorErrors))}`")}");
            }

            md.AppendLine();
        }

        md.AppendLine("### Peer settings, and what would make the comparison unfair");
        md.AppendLine();
        foreach (var b in brokers)
        {
            md.AppendLine(C, $"- **{b.Name}**: {b.Settings}.");
        }

        md.AppendLine();
        md.AppendLine("Defaults of the peers that would skew the comparison, and what the harness does about them:");
        md.AppendLine();
        md.AppendLine("- **mosquitto** drops queued messages beyond `max_queued_messages` (default 1000) per client: set to 0 (unlimited). " +
            "It silently drops incoming QoS 2 PUBLISH beyond `max_inflight_messages` (default 20) awaiting PUBREL while still answering PUBREC: " +
            "left at 20, which does not matter here because the matrix has no QoS 2 (a QoS 2 run must keep each publisher at 20 or fewer in flight). " +
            "Nagle is on unless `set_tcp_nodelay true`: set. mosquitto is single-threaded.");
        md.AppendLine(C, $"- **MQTTnet** drops the oldest message once 1,000 are pending for one client (`MaxPendingMessagesPerClient`): raised to {Brokers.MqttNetMaxPending:N0}.");
        md.AppendLine("- **NATS** needs JetStream for its MQTT listener, and QoS 1 goes through JetStream's file store (in a temporary directory on the same disk), " +
            "so its QoS 1 figures include persistence that the other brokers (all in memory) do not do. NATS has no QoS 2. NATS batches its writes, which is why it leads at QoS 0.");
        md.AppendLine("- **aedes** runs on `node:net`, where Nagle is on by default: the harness creates the server with `noDelay: true`, as every other broker here sets TCP_NODELAY.");
        md.AppendLine(Brokers.StarlingDefaults
            ? "- **Starling** runs with its default limits (1,000 queued messages per session beyond 32 in flight, 4 MiB send buffer per connection), " +
              "beyond which it drops messages (counted as lost above), while the peers' limits are raised."
            : "- **Starling** has limits of its own that drop messages (1,000 queued messages per session beyond 32 in flight; 4 MiB waiting per connection, " +
              "beyond which QoS 0 is dropped): raised like the peers' (`MaximumQueuedMessages` 1,000,000, `MaximumSendBufferBytes` 1 GiB). " +
              "With its defaults (`--starling-defaults`), the QoS 1 and 4 KB scenarios lose messages here.");
        md.AppendLine("- **The QoS 1 window** of `starling bench` counts messages the broker has not acknowledged (PUBACK), not messages the subscribers " +
            "have not received: a broker that acknowledges faster than it delivers lets its queues, and the latency, grow for the whole run. " +
            "Compare QoS 1 p99 with that in mind.");
        md.AppendLine();
        return md.ToString();
    }

    private void Table(StringBuilder md, string first, IEnumerable<string> headers, Func<Scenario, IEnumerable<string>> cells)
    {
        var h = headers.ToList();
        md.AppendLine(C, $"| {first} | {string.Join(" | ", h)} |");
        md.AppendLine(C, $"| --- |{string.Concat(h.Select(_ => " --- |"))}");
        foreach (var s in scenarios)
        {
            md.AppendLine(C, $"| {s.Title} | {string.Join(" | ", cells(s))} |");
        }
    }

    private IEnumerable<Result> Of(Scenario s, string broker) => results.Where(r => r.Scenario == s.Id && r.Broker == broker);

    private static double? Med(IEnumerable<Result> rs, Func<Result, double?> f) => Stats.Median(rs.Select(f));

    private string Cell(Scenario s, string broker)
    {
        var rs = Of(s, broker).ToList();
        if (rs.Count == 0)
        {
            return "–";
        }

        var ok = rs.Where(r => r.Throughput is not null || r.RssPerConnectionBytes is not null).ToList();
        if (ok.Count == 0)
        {
            return "failed";
        }

        var mark = ok.Count < rs.Count ? $" ({ok.Count} of {rs.Count} runs)" : "";
        var peak = Bytes(Med(ok, r => r.PeakRssBytes));
        if (s.IsIdle)
        {
            var failed = ok.Any(r => r.Error is not null) ? " ⚠" : "";
            return $"{Bytes(Med(ok, r => r.RssPerConnectionBytes))}/conn · {F(Med(ok, r => r.ConnectSeconds), "F2")} s · {peak}{failed}{mark}";
        }

        if (s.BaselineId is { } baseline)
        {
            // The live subscribers' throughput and its ratio to the same broker's run without the stalled one.
            var throughput = Med(ok, r => r.Throughput);
            var dropped = ok.Any(r => r.StalledDisconnected > 0) ? " · stalled one disconnected" : "";
            return $"{Rate(throughput)} ({Ratio(throughput, BaselineThroughput(baseline, broker))} of fan-out) · {Micros(Med(ok, r => r.P99Us))} · {peak}{dropped}{mark}";
        }

        return $"{Rate(Med(ok, r => r.Throughput))} · {Micros(Med(ok, r => r.P99Us))} · {peak}{mark}";
    }

    private double? BaselineThroughput(string scenario, string broker) =>
        Med(results.Where(r => r.Scenario == scenario && r.Broker == broker && r.Throughput is not null), r => r.Throughput);

    /// <summary>Deliveries per second of broker CPU: steadier than throughput when other work takes the cores.</summary>
    private static double? PerCpu(Result r) => r.Throughput is double t && r.BrokerCpu is double cpu && cpu > 0 ? t / (cpu / 100) : null;

    /// <summary>Per broker: fan-out with and without the stalled subscriber, their ratio, and both peak RSS figures.</summary>
    private void SlowSubscriberTable(StringBuilder md, Scenario stalled)
    {
        md.AppendLine("| broker | fan-out | + 1 stalled | ratio | ratio per broker CPU-second | peak RSS, fan-out | peak RSS, + 1 stalled | stalled client |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var b in brokers)
        {
            var with = Of(stalled, b.Id).Where(r => r.Throughput is not null).ToList();
            var without = results.Where(r => r.Scenario == stalled.BaselineId && r.Broker == b.Id && r.Throughput is not null).ToList();
            var kept = with.Count == 0 ? "?" : with.Any(r => r.StalledDisconnected > 0) ? "disconnected by the broker" : "still connected at the end";
            md.AppendLine(C, $"| {b.Name} | {Rate(Med(without, r => r.Throughput))} | {Rate(Med(with, r => r.Throughput))} | " +
                $"{Ratio(Med(with, r => r.Throughput), Med(without, r => r.Throughput))} | {Ratio(Med(with, PerCpu), Med(without, PerCpu))} | {Bytes(Med(without, r => r.PeakRssBytes))} | {Bytes(Med(with, r => r.PeakRssBytes))} | {kept} |");
        }
    }

    private string RatioCell(Scenario s, string peer)
    {
        var mine = Of(s, "starling").ToList();
        var theirs = Of(s, peer).ToList();
        if (s.IsIdle)
        {
            return $"RSS/conn {Ratio(Med(mine, r => r.RssPerConnectionBytes), Med(theirs, r => r.RssPerConnectionBytes))} · " +
                $"time {Ratio(Med(mine, r => r.ConnectSeconds), Med(theirs, r => r.ConnectSeconds))}";
        }

        return $"{Ratio(Med(mine, r => r.Throughput), Med(theirs, r => r.Throughput))} · p99 {Ratio(Med(mine, r => r.P99Us), Med(theirs, r => r.P99Us))} · " +
            $"RSS {Ratio(Med(mine, r => r.PeakRssBytes), Med(theirs, r => r.PeakRssBytes))}";
    }

    private string CpuCell(Scenario s, string broker)
    {
        var rs = Of(s, broker).ToList();
        if (rs.Count == 0)
        {
            return "–";
        }

        var cpu = $"{F(Med(rs, r => r.BrokerCpu), "F0")} / {F(Med(rs, r => r.GeneratorCpu), "F0")} / {F(Med(rs, r => r.OtherCpu), "F0")} %";
        if (s.IsIdle)
        {
            return cpu;
        }

        var lost = rs.Sum(r => r.Lost ?? 0);
        var dup = rs.Sum(r => r.Duplicated ?? 0);
        var ooo = rs.Sum(r => r.OutOfOrder ?? 0);
        var delivery = lost + dup + ooo == 0 ? "—" : string.Join(", ", new[] { (lost, "lost"), (dup, "dup"), (ooo, "out of order") }.Where(x => x.Item1 > 0).Select(x => $"{x.Item1:N0} {x.Item2}"));
        return $"{cpu}; {delivery}";
    }

    private string Name(string id) => brokers.FirstOrDefault(b => b.Id == id)?.Name ?? id;

    private static string Ratio(double? a, double? b) => a is double x && b is double y && y > 0 ? (x / y).ToString("0.00", C) + "×" : "?";

    private static string F(double? v, string format) => v is double d && !double.IsNaN(d) ? d.ToString(format, C) : "?";

    private static string Rate(double? perSecond) => perSecond switch
    {
        null => "?",
        >= 1_000_000 => (perSecond.Value / 1_000_000).ToString("0.00", C) + "M/s",
        >= 100_000 => (perSecond.Value / 1000).ToString("0", C) + "k/s",
        >= 1000 => (perSecond.Value / 1000).ToString("0.0", C) + "k/s",
        _ => perSecond.Value.ToString("0", C) + "/s",
    };

    private static string Micros(double? us) => us switch
    {
        null => "?",
        >= 1_000_000 => (us.Value / 1_000_000).ToString("0.00", C) + " s",
        >= 10_000 => (us.Value / 1000).ToString("0", C) + " ms",
        >= 1000 => (us.Value / 1000).ToString("0.0", C) + " ms",
        _ => us.Value.ToString("0", C) + " µs",
    };

    private static string Bytes(double? bytes) => bytes switch
    {
        null => "?",
        >= 1024 * 1024 => (bytes.Value / (1024 * 1024)).ToString("0.0", C) + " MiB",
        >= 10 * 1024 => (bytes.Value / 1024).ToString("0", C) + " KiB",
        >= 1024 => (bytes.Value / 1024).ToString("0.0", C) + " KiB",
        _ => bytes.Value.ToString("0", C) + " B",
    };

    private static string Bytes(long? bytes) => Bytes((double?)bytes);

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";

    private static string MemoryTotal()
    {
        var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], C);
        return $"{kb / 1024.0 / 1024.0:F1} GiB (`MemTotal: {kb} kB`)";
    }

    private static string OsName() =>
        File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? "?";
}
