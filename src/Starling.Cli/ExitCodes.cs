namespace Starling.Cli;

/// <summary>The process exit codes of every command (also listed in the README).</summary>
public static class ExitCodes
{
    /// <summary>Everything worked.</summary>
    public const int Success = 0;

    /// <summary>An unexpected failure.</summary>
    public const int Failure = 1;

    /// <summary>Bad arguments: unknown option, missing value, conflicting options, unreadable file.</summary>
    public const int BadArguments = 2;

    /// <summary>The broker could not be reached (DNS, refused, TLS or WebSocket handshake, connect timeout) or the connection was lost.</summary>
    public const int Unreachable = 3;

    /// <summary>The broker refused: CONNACK, SUBACK or PUBACK/PUBREC carried a failure reason code.</summary>
    public const int Refused = 4;

    /// <summary>sub: --timeout passed before --count messages arrived; bench: messages were lost or errors occurred.</summary>
    public const int Incomplete = 5;

    /// <summary>Interrupted by Ctrl+C or SIGTERM (pub, bench; sub ends normally with 0).</summary>
    public const int Interrupted = 130;
}
