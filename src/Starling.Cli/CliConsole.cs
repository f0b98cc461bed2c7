namespace Starling.Cli;

/// <summary>Where a command reads and writes: the process's console, or writers a test captures.</summary>
public sealed class CliConsole
{
    /// <summary>Standard output: messages (sub), summaries (bench).</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: errors, progress lines, warnings.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Opens standard input (pub -s and -l read from it).</summary>
    public Func<Stream> OpenInput { get; init; } = () => Stream.Null;

    /// <summary>True to handle Ctrl+C / SIGTERM by cancelling the running command (the process console only).</summary>
    public bool HandleTermination { get; init; }

    /// <summary>Called by <c>sub</c> once the broker has acknowledged the subscriptions (tests wait for it).</summary>
    public Action? Subscribed { get; init; }

    /// <summary>The process's console; output is buffered and flushed after each message or line.</summary>
    public static CliConsole Standard() => new()
    {
        Out = new StreamWriter(Console.OpenStandardOutput(), new System.Text.UTF8Encoding(false), 1 << 16) { AutoFlush = false },
        Error = Console.Error,
        OpenInput = Console.OpenStandardInput,
        HandleTermination = true,
    };
}
