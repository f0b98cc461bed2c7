using System.Globalization;

namespace Starling.Compare;

/// <summary>Command-line options of starling-compare.</summary>
internal sealed class Options
{
    public const string Usage = """
        usage: starling-compare [options]
          --repo DIR               repository root (default: the current directory)
          --brokers LIST           comma-separated, in order (default: starling,mosquitto,nats,mqttnet,aedes)
          --scenarios LIST         comma-separated id prefixes, e.g. p2p,fanout-q0-64,idle (default: all)
          --duration S             measured seconds per run (default 10; 3 with --quick)
          --warmup S               warm-up seconds before measuring (default 2; 1 with --quick)
          --quick                  3 s runs after 1 s warm-up
          --runs N                 repeat the whole matrix N times, report medians (default 1)
          --idle-connections N     idle connections to open (default 10000)
          --connect-parallelism N  connections opened at a time (default 100)
          --starling-defaults      run Starling with its default queue and send-buffer limits (default: raised like the peers')
          --spread-sources         bind idle connections to 127.0.0.2–127.0.0.9 (default: only past 20,000)
          --bench-command "CMD"    the load generator up to `bench` (default: dotnet src/Starling.Cli/bin/Release/net10.0/starling.dll)
          --out DIR                results directory (default: artifacts/compare)
          --update FILE            replace the "Broker against peers" section of FILE (e.g. BENCHMARKS.md)
          --command-line TEXT      the command to print in the Method paragraph (run.sh passes its own)
        """;

    public string Repository { get; private set; } = Directory.GetCurrentDirectory();

    public List<string> Brokers { get; private set; } = ["starling", "mosquitto", "nats", "mqttnet", "aedes"];

    public List<string>? Scenarios { get; private set; }

    public int Duration { get; private set; } = 10;

    public int Warmup { get; private set; } = 2;

    public bool Quick { get; private set; }

    public int Runs { get; private set; } = 1;

    public int IdleConnections { get; private set; } = 10_000;

    public int ConnectParallelism { get; private set; } = 100;

    public bool? SpreadSources { get; private set; }

    public bool StarlingDefaults { get; private set; }

    public string[]? BenchCommand { get; private set; }

    public string Output { get; private set; } = "";

    public string? UpdateBenchmarks { get; private set; }

    public string? CommandLine { get; private set; }

    public static Options? Parse(string[] args)
    {
        var o = new Options();
        int? duration = null, warmup = null;
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
                switch (args[i])
                {
                    case "--repo": o.Repository = Path.GetFullPath(Next()); break;
                    case "--brokers": o.Brokers = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                    case "--scenarios": o.Scenarios = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]; break;
                    case "--duration": duration = NextInt(); break;
                    case "--warmup": warmup = NextInt(); break;
                    case "--quick": o.Quick = true; break;
                    case "--runs": o.Runs = NextInt(); break;
                    case "--idle-connections": o.IdleConnections = NextInt(); break;
                    case "--connect-parallelism": o.ConnectParallelism = NextInt(); break;
                    case "--spread-sources": o.SpreadSources = true; break;
                    case "--starling-defaults": o.StarlingDefaults = true; break;
                    case "--bench-command": o.BenchCommand = Next().Split(' ', StringSplitOptions.RemoveEmptyEntries); break;
                    case "--out": o.Output = Path.GetFullPath(Next()); break;
                    case "--update": o.UpdateBenchmarks = Path.GetFullPath(Next()); break;
                    case "--command-line": o.CommandLine = Next(); break;
                    case "-h" or "--help": Console.WriteLine(Usage); return null;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }

            o.Duration = duration ?? (o.Quick ? 3 : 10);
            o.Warmup = warmup ?? (o.Quick ? 1 : 2);
            if (o.Output.Length == 0)
            {
                o.Output = Path.Combine(o.Repository, "artifacts", "compare");
            }

            var unknown = o.Brokers.Except(Compare.Brokers.All.Select(b => b.Id)).ToList();
            if (unknown.Count > 0 || o.Runs < 1 || o.Duration < 1 || o.Warmup < 0 || o.IdleConnections < 1)
            {
                throw new ArgumentException(unknown.Count > 0 ? $"unknown broker(s): {string.Join(", ", unknown)}" : "bad numbers");
            }

            return o;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine($"starling-compare: {e.Message}");
            Console.Error.WriteLine(Usage);
            return null;
        }
    }
}
