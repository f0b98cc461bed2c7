using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Starling.Compare;

// starling-compare: starts Starling and each peer broker in turn on 127.0.0.1, runs `starling bench` against it
// for every scenario of the matrix, samples the broker's RSS and CPU from /proc, stops it, and writes the results
// (results.json, results.md; optionally the "Broker against peers" section of BENCHMARKS.md).
// Normally started by bench/compare/run.sh, which builds and installs what it needs first.
var options = Options.Parse(args);
if (options is null)
{
    return 2;
}

var paths = new Paths(options.Repository);
Brokers.StarlingDefaults = options.StarlingDefaults;

// Ctrl+C or SIGTERM: stop the broker and the load generator of the current run before exiting.
var children = new System.Collections.Concurrent.ConcurrentDictionary<int, Process>();
void StopChildren(System.Runtime.InteropServices.PosixSignalContext context)
{
    foreach (var child in children.Values)
    {
        try
        {
            child.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }
}

using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, StopChildren);
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, StopChildren);
var brokers = Brokers.All.Where(b => options.Brokers.Contains(b.Id)).OrderBy(b => options.Brokers.IndexOf(b.Id)).ToList();
var scenarios = Scenarios.Matrix(options.IdleConnections)
    .Where(s => options.Scenarios is null || options.Scenarios.Any(f => s.Id.StartsWith(f, StringComparison.Ordinal)))
    .ToList();
var benchCommand = options.BenchCommand ?? ["dotnet", paths.StarlingCli];
if (options.BenchCommand is null && scenarios.Any(s => !s.IsIdle) && !File.Exists(paths.StarlingCli))
{
    Console.Error.WriteLine($"The load generator is not built: {paths.StarlingCli} (build src/Starling.Cli in Release, or pass --bench-command).");
    return 1;
}

Directory.CreateDirectory(options.Output);
var work = Directory.CreateTempSubdirectory("starling-compare-").FullName;
var results = new List<Result>();
var total = Stopwatch.StartNew();
var brokerSeconds = brokers.ToDictionary(b => b.Id, _ => 0.0);
Console.WriteLine($"starling-compare: {brokers.Count} brokers × {scenarios.Count} scenarios × {options.Runs} run(s), " +
    $"{options.Duration} s after {options.Warmup} s warm-up; results in {options.Output}");

for (var run = 1; run <= options.Runs; run++)
{
    foreach (var broker in brokers)
    {
        foreach (var scenario in scenarios)
        {
            var cell = Stopwatch.StartNew();
            var result = await RunCellAsync(broker, scenario, run).ConfigureAwait(false);
            result.WallSeconds = cell.Elapsed.TotalSeconds;
            brokerSeconds[broker.Id] += result.WallSeconds;
            results.Add(result);
            Console.WriteLine(Report.OneLine(result));
            await File.WriteAllTextAsync(Path.Combine(options.Output, "results.json"), JsonSerializer.Serialize(results, Report.Json)).ConfigureAwait(false);
        }
    }
}

var summary = new Report(options, brokers, scenarios, results, paths, total.Elapsed, brokerSeconds);
var markdown = summary.Markdown();
await File.WriteAllTextAsync(Path.Combine(options.Output, "results.md"), markdown).ConfigureAwait(false);
Console.WriteLine($"Wrote {Path.Combine(options.Output, "results.md")} and results.json ({total.Elapsed.TotalMinutes:F1} min).");
if (options.UpdateBenchmarks is { } benchmarksFile)
{
    Report.ReplaceSection(benchmarksFile, "## Broker against peers", markdown);
    Console.WriteLine($"Updated the \"Broker against peers\" section of {benchmarksFile}.");
}

try
{
    Directory.Delete(work, recursive: true);
}
catch (IOException)
{
}

return results.Any(r => r.Error is not null) ? 3 : 0;

async Task<Result> RunCellAsync(BrokerDefinition broker, Scenario scenario, int run)
{
    var result = new Result { Broker = broker.Id, Scenario = scenario.Id, Run = run };
    var port = Brokers.FreePort();
    var directory = Path.Combine(work, $"{broker.Id}-{scenario.Id}-{run}");
    Directory.CreateDirectory(directory);
    Process process;
    try
    {
        process = Process.Start(broker.CreateStartInfo(new BrokerContext(port, directory, paths, scenario.DefaultLimits)))!;
        children[process.Id] = process;
    }
    catch (System.ComponentModel.Win32Exception e)
    {
        result.Error = $"could not start {broker.Name}: {e.Message}";
        return result;
    }

    var log = new StreamWriter(Path.Combine(options.Output, $"{broker.Id}-{scenario.Id}-{run}.broker.log")) { AutoFlush = true };
    process.OutputDataReceived += (_, e) => WriteLine(log, e.Data);
    process.ErrorDataReceived += (_, e) => WriteLine(log, e.Data);
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    try
    {
        if (!await Brokers.WaitForPortAsync(port, process, TimeSpan.FromSeconds(60)).ConfigureAwait(false))
        {
            result.Error = process.HasExited ? $"{broker.Name} exited with {process.ExitCode} before listening" : $"{broker.Name} did not listen on {port}";
            return result;
        }

        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        result.StartRssBytes = ProcStats.ReadMemory(process.Id)?.Rss;
        if (scenario.IsIdle)
        {
            await RunIdleAsync(process, port, scenario, result).ConfigureAwait(false);
        }
        else
        {
            await RunBenchAsync(process, port, scenario, result).ConfigureAwait(false);
        }

        if (ProcStats.ReadMemory(process.Id) is { } memory)
        {
            result.PeakRssBytes = Math.Max(result.PeakRssBytes ?? 0, memory.Hwm);
        }
        else
        {
            result.Error ??= $"{broker.Name} exited during the run";
        }
    }
    finally
    {
        await Brokers.StopAsync(process).ConfigureAwait(false);
        children.TryRemove(process.Id, out _);
        process.Dispose();
        lock (log)
        {
            log.Dispose();
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    return result;
}

async Task RunBenchAsync(Process broker, int port, Scenario scenario, Result result)
{
    var info = new ProcessStartInfo(benchCommand[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
    var arguments = benchCommand.Skip(1).Concat(["bench", .. scenario.BenchArguments().Take(1), "-h", "127.0.0.1", "-p", I(port),
        .. scenario.BenchArguments().Skip(1), "--duration", I(options.Duration), "--warmup", I(options.Warmup), "--json"]).ToList();
    foreach (var a in arguments)
    {
        info.ArgumentList.Add(a);
    }

    result.Command = string.Join(' ', new[] { benchCommand[0] }.Concat(arguments));
    using var generator = Process.Start(info)!;
    var generatorPid = generator.Id;
    children[generatorPid] = generator;
    var stdout = generator.StandardOutput.ReadToEndAsync();
    var stderr = generator.StandardError.ReadToEndAsync();
    var sampler = new Sampler(broker.Id, () => generatorPid, TimeSpan.FromMilliseconds(250));
    await using (sampler.ConfigureAwait(false))
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(options.Duration + options.Warmup + 120));
        try
        {
            await generator.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            generator.Kill(entireProcessTree: true);
            await generator.WaitForExitAsync().ConfigureAwait(false);
            result.Error = "the load generator did not finish in time and was killed";
        }

        sampler.TakeSample();
    }

    children.TryRemove(generatorPid, out _);
    var samples = sampler.Samples;
    var end = samples[^1].Seconds;
    Cpu(samples.Where(s => s.Seconds >= end - options.Duration - 0.01).ToList(), result);
    result.PeakRssBytes = samples.Max(s => s.BrokerRss);

    var output = await stdout.ConfigureAwait(false);
    var errors = await stderr.ConfigureAwait(false);
    await File.WriteAllTextAsync(Path.Combine(options.Output, $"{result.Broker}-{scenario.Id}-{result.Run}.generator.log"),
        result.Command + "\n--- stdout\n" + output + "\n--- stderr\n" + errors).ConfigureAwait(false);
    var json = output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{'));
    if (json is null)
    {
        result.Error ??= $"no JSON from the load generator (exit {generator.ExitCode}): {Report.FirstLine(errors.Length > 0 ? errors : output)}";
        return;
    }

    result.Raw = json;
    try
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        result.Throughput = Number(root, "throughput");
        result.Sent = (long?)Number(root, "sent");
        result.Received = (long?)Number(root, "received");
        result.Lost = (long?)Number(root, "lost");
        result.Duplicated = (long?)Number(root, "duplicated");
        result.OutOfOrder = (long?)Number(root, "outOfOrder");
        result.StalledDisconnected = (int?)Number(root, "stalledDisconnected");
        if (root.TryGetProperty("latencyUs", out var latency))
        {
            result.P50Us = Number(latency, "p50");
            result.P99Us = Number(latency, "p99");
            result.P999Us = Number(latency, "p999");
            result.MaxUs = Number(latency, "max");
        }

        if (root.TryGetProperty("errors", out var e) && !IsNothing(e))
        {
            result.GeneratorErrors = e.ToString();
        }
    }
    catch (JsonException e)
    {
        result.Error ??= $"unreadable JSON from the load generator: {e.Message}";
    }

    if (generator.ExitCode != 0)
    {
        result.Error ??= $"the load generator exited with {generator.ExitCode}: {Report.FirstLine(errors)}";
    }
}

async Task RunIdleAsync(Process broker, int port, Scenario scenario, Result result)
{
    var count = scenario.Publishers;
    var spread = options.SpreadSources ?? count > 20_000;

    // Warm the broker's connection path (JIT, pools, thread pool) so its one-off cost is not charged to the
    // 10,000. One round is not enough for .NET: tiered compilation first waits for a pause in new JIT work,
    // then counts calls to tier 0, then to the instrumented tier, and only then compiles tier 1; each step
    // needs calls after a pause. Four rounds with pauses take a .NET broker through all of it (one round
    // left ~11 MiB of JIT memory, ~1.1 KiB per connection, to the measurement); the others just get warmer.
    for (var round = 0; round < 4; round++)
    {
        using (var warm = new IdleConnector())
        {
            await IdleConnector.ConnectAsync(warm, port, 250, 50, spread, $"warm{round}").ConfigureAwait(false);
        }

        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
    result.RssBeforeBytes = await SettledRssAsync(broker.Id).ConfigureAwait(false);

    using var idle = new IdleConnector();
    // The connector runs in this process: its CPU is this process's.
    var sampler = new Sampler(broker.Id, () => Environment.ProcessId, TimeSpan.FromMilliseconds(100));
    IdleResult connected;
    await using (sampler.ConfigureAwait(false))
    {
        connected = await IdleConnector.ConnectAsync(idle, port, count, options.ConnectParallelism, spread, "idle").ConfigureAwait(false);
        sampler.TakeSample();
        var end = sampler.Now;
        // CPU while connecting.
        Cpu(sampler.Samples.Where(s => s.Seconds >= end - connected.ConnectSeconds - 0.05).ToList(), result);
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        result.RssAfterBytes = await SettledRssAsync(broker.Id).ConfigureAwait(false);
    }

    result.PeakRssBytes = sampler.Samples.Max(s => s.BrokerRss);
    result.StillOpen = idle.CountOpen();
    result.Connections = connected.Connected;
    result.ConnectSeconds = connected.ConnectSeconds;
    result.P50Us = connected.P50Us;
    result.ConnectP99Us = connected.P99Us;
    result.MaxUs = connected.MaxUs;
    result.Command = $"(in-process) {count} × CONNECT + SUBSCRIBE, {options.ConnectParallelism} at a time" + (spread ? ", sources 127.0.0.2–9" : "");
    if (connected.Connected > 0 && result.RssAfterBytes is long after && result.RssBeforeBytes is long before)
    {
        result.RssPerConnectionBytes = (after - before) / (double)connected.Connected;
    }

    if (connected.Errors > 0)
    {
        result.Error = $"{connected.Errors} of {count} connections failed; first: {connected.FirstError}";
    }
    else if (result.StillOpen < connected.Connected)
    {
        result.Error = $"the broker closed {connected.Connected - result.StillOpen} idle connections";
    }
}

// Average of three VmRSS readings half a second apart.
static async Task<long?> SettledRssAsync(int pid)
{
    var readings = new List<long>();
    for (var i = 0; i < 3; i++)
    {
        if (ProcStats.ReadMemory(pid) is { } m)
        {
            readings.Add(m.Rss);
        }

        await Task.Delay(500).ConfigureAwait(false);
    }

    return readings.Count > 0 ? (long)readings.Average() : null;
}

static void Cpu(List<Sample> window, Result result)
{
    if (window.Count < 2)
    {
        return;
    }

    var first = window[0];
    var last = window[^1];
    var seconds = last.Seconds - first.Seconds;
    if (seconds <= 0.2)
    {
        return;
    }

    double Percent(long ticks) => ticks / ProcStats.TicksPerSecond / seconds * 100;
    var broker = Percent(last.BrokerTicks - first.BrokerTicks);
    var generator = Percent(last.GeneratorTicks - first.GeneratorTicks);
    // /proc/stat counts all CPUs together: its busy fraction times the number of CPUs is in "% of one core".
    var machine = (last.MachineBusy - first.MachineBusy) / (double)Math.Max(1, last.MachineTotal - first.MachineTotal) * Environment.ProcessorCount * 100;
    result.BrokerCpu = broker;
    result.GeneratorCpu = generator;
    result.OtherCpu = Math.Max(0, machine - broker - generator);
    result.CpuWindowSeconds = seconds;
}

static double? Number(JsonElement element, string name) =>
    element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

static bool IsNothing(JsonElement e) =>
    e.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined
    || (e.ValueKind == JsonValueKind.Number && e.GetDouble() == 0)
    || (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 0)
    || (e.ValueKind == JsonValueKind.String && e.GetString()!.Length == 0);

static void WriteLine(StreamWriter log, string? line)
{
    if (line is null)
    {
        return;
    }

    lock (log)
    {
        try
        {
            log.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
        }
    }
}

static string I(int value) => value.ToString(CultureInfo.InvariantCulture);
