using System.CommandLine;

namespace Starling.Cli.Commands;

internal static class BenchCommand
{
    public static Command Create(CliConsole console) => new("bench", "Benchmark a broker.");
}
