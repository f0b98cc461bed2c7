using System.CommandLine;
using Starling.Security;

namespace Starling.Cli.Commands;

/// <summary>
/// <c>starling passwd FILE USER</c>: adds a user to a broker password file or changes its password (PBKDF2-SHA512,
/// see docs/security.md); <c>--delete</c> removes it. The password comes from --password or the first line of
/// standard input, so it need not appear in the shell history.
/// </summary>
internal static class PasswdCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<string>("FILE") { Description = "The password file (created if missing; Starling:PasswordFile points the broker at it)." };
        var user = new Argument<string>("USER") { Description = "The user name." };
        var password = new Option<string?>("--password") { Description = "The new password; without it the first line of standard input is read." };
        var delete = new Option<bool>("--delete", "-D") { Description = "Delete the user instead." };
        var command = new Command("passwd", "Add a user to a password file, change its password, or delete it.");
        command.Arguments.Add(file);
        command.Arguments.Add(user);
        command.Options.Add(password);
        command.Options.Add(delete);
        command.Validators.Add(result =>
        {
            if (result.GetValue(delete) && result.GetValue(password) is not null)
            {
                result.AddError("--delete takes no password.");
            }

            if (result.GetValue(user) is { } name && (name.Length == 0 || name.Contains(':', StringComparison.Ordinal)))
            {
                result.AddError("a user name must not be empty or contain ':'.");
            }
        });

        CommandRunner.SetAction(command, console, async (parse, cancellationToken) =>
        {
            string path = parse.GetValue(file)!;
            string name = parse.GetValue(user)!;
            if (parse.GetValue(delete))
            {
                if (!File.Exists(path) || !PasswordFileEditor.Delete(path, name))
                {
                    throw new CliException(ExitCodes.Failure, $"no user '{name}' in {path}.");
                }

                await console.Out.WriteLineAsync($"deleted {name}").ConfigureAwait(false);
                return ExitCodes.Success;
            }

            string? secret = parse.GetValue(password);
            if (secret is null)
            {
                using var reader = new StreamReader(console.OpenInput());
                secret = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }

            if (string.IsNullOrEmpty(secret))
            {
                throw new CliException(ExitCodes.BadArguments, "the password is empty.");
            }

            bool added = PasswordFileEditor.SetPassword(path, name, secret);
            await console.Out.WriteLineAsync(added ? $"added {name}" : $"changed the password of {name}").ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
