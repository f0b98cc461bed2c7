using System.Text;

namespace Starling.Cli.Tests;

/// <summary>Runs the CLI in this process with captured output, or mosquitto's clients as processes.</summary>
public static class Cli
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string[] args, string? stdin = null, Action? subscribed = null, CancellationToken cancellationToken = default)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole
        {
            Out = TextWriter.Synchronized(output),
            Error = TextWriter.Synchronized(error),
            OpenInput = () => new MemoryStream(Encoding.UTF8.GetBytes(stdin ?? "")),
            Subscribed = subscribed,
        };
        var code = await StarlingCli.RunAsync(args, console, cancellationToken);
        return new Result(code, output.ToString(), error.ToString());
    }

    /// <summary>Starts <c>starling sub</c> and returns once it has subscribed, with the task that ends with its result.</summary>
    public static async Task<Task<Result>> StartSubAsync(params string[] args)
    {
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = Task.Run(() => RunAsync(args, subscribed: subscribed.SetResult));
        var first = await Task.WhenAny(subscribed.Task, run, Task.Delay(TimeSpan.FromSeconds(15)));
        if (first != subscribed.Task)
        {
            var result = run.IsCompleted ? await run : null;
            throw new InvalidOperationException($"sub did not subscribe: {result}");
        }

        return run;
    }

    public static async Task<Result> RunProcessAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var result = await Starling.TestSupport.ProcessRunner.RunAsync(tool, arguments, timeout, workingDirectory);
        return new Result(result.ExitCode, result.Output, result.Error);
    }
}
