using System.CommandLine;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using Starling.Mqtt;
using Starling.Mqtt.Client;

namespace Starling.Cli;

/// <summary>Runs a command's action and turns its failures into one clear line on standard error and an exit code.</summary>
internal static class CommandRunner
{
    public static void SetAction(Command command, CliConsole console, Func<ParseResult, CancellationToken, Task<int>> action, int interruptedExitCode = ExitCodes.Interrupted)
        => command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return interruptedExitCode;
            }
            catch (Exception ex)
            {
                var (code, message) = Describe(ex);
                await console.Error.WriteLineAsync($"starling {command.Name}: {message}").ConfigureAwait(false);
                return code;
            }
        });

    public static (int Code, string Message) Describe(Exception ex) => ex switch
    {
        CliException cli => (cli.ExitCode, cli.Message),
        MqttClientException { ReasonCode: { } code } mqtt when code.IsFailure() => (ExitCodes.Refused, mqtt.Message),
        MqttClientException mqtt => (ExitCodes.Unreachable, mqtt.Message),
        SocketException socket => (ExitCodes.Unreachable, $"cannot reach the broker: {socket.Message}"),
        AuthenticationException tls => (ExitCodes.Unreachable, $"TLS handshake failed: {Flatten(tls)}"),
        WebSocketException ws => (ExitCodes.Unreachable, $"WebSocket connection failed: {Flatten(ws)}"),
        TimeoutException timeout => (ExitCodes.Unreachable, timeout.Message),
        OperationCanceledException => (ExitCodes.Incomplete, "timed out."),
        IOException io => (ExitCodes.Unreachable, $"connection failed: {Flatten(io)}"),
        _ => (ExitCodes.Failure, $"{ex.GetType().Name}: {ex.Message}"),
    };

    private static string Flatten(Exception ex)
    {
        var message = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            message += $" ({inner.Message})";
        }

        return message;
    }
}
