using System.CommandLine;
using System.CommandLine.Help;
using Starling.Cli.Commands;

namespace Starling.Cli;

/// <summary>The entry point: builds the command tree and runs it against a <see cref="CliConsole"/>.</summary>
public static class StarlingCli
{
    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit code (see <see cref="ExitCodes"/>).</summary>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(console);
        var root = CreateRootCommand(console);
        var parse = root.Parse(args);
        try
        {
            if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
            {
                foreach (var error in parse.Errors)
                {
                    await console.Error.WriteLineAsync($"starling: {error.Message}").ConfigureAwait(false);
                }

                await console.Error.WriteLineAsync($"Try '{CommandPath(parse.CommandResult.Command)} --help'.").ConfigureAwait(false);
                return ExitCodes.BadArguments;
            }

            var configuration = new InvocationConfiguration
            {
                Output = console.Out,
                Error = console.Error,
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = console.HandleTermination ? TimeSpan.FromSeconds(3) : null,
            };
            return await parse.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await console.Out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            await console.Error.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The root command with pub, sub and bench.</summary>
    public static RootCommand CreateRootCommand(CliConsole console)
    {
        var root = new RootCommand("starling: publish, subscribe and benchmark against an MQTT 3.1, 3.1.1 or 5.0 broker, and manage its password file.");

        // -h is the broker host, as in mosquitto_pub/sub; help is --help or -?.
        for (var i = 0; i < root.Options.Count; i++)
        {
            if (root.Options[i] is HelpOption)
            {
                root.Options[i] = new HelpOption("--help", "-?") { Recursive = true, Description = "Show help and usage information." };
            }
        }

        root.Subcommands.Add(PubCommand.Create(console));
        root.Subcommands.Add(SubCommand.Create(console));
        root.Subcommands.Add(BenchCommand.Create(console));
        root.Subcommands.Add(PasswdCommand.Create(console));
        return root;
    }

    private static string CommandPath(Command command)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Insert(0, current is RootCommand ? "starling" : current.Name);
        }

        return string.Join(' ', names);
    }
}
