namespace Starling.Security;

/// <summary>
/// What <c>starling passwd</c> does, for any front end: add or change a user's password, or delete a user, in a
/// password file, writing it back atomically. A missing file is created when a user is added.
/// </summary>
public static class PasswordFileEditor
{
    /// <summary>Adds <paramref name="username"/> or changes its password; true when the user was new.</summary>
    public static bool SetPassword(string path, string username, string password, int iterations = PasswordHasher.DefaultIterations)
    {
        if (password.Length == 0)
        {
            throw new ArgumentException("the password is empty", nameof(password));
        }

        var file = File.Exists(path) ? PasswordFile.Load(path) : new PasswordFile();
        bool added = !file.Contains(username);
        file.SetPassword(username, password, iterations);
        file.Save(path);
        return added;
    }

    /// <summary>Deletes <paramref name="username"/>; false when the file has no such user (the file is then unchanged).</summary>
    public static bool Delete(string path, string username)
    {
        var file = PasswordFile.Load(path);
        if (!file.Remove(username))
        {
            return false;
        }

        file.Save(path);
        return true;
    }

    /// <summary>
    /// The command line <c>FILE USER [--delete] [--password P]</c>: without <c>--password</c> the password is read
    /// from <paramref name="input"/> (the first line; on a terminal, typed twice without echo). Returns the exit code:
    /// 0 done, 1 failed (no such user, bad file), 2 bad usage.
    /// </summary>
    public static int Run(IReadOnlyList<string> args, TextReader input, TextWriter output, TextWriter error, bool interactive = false)
    {
        string? path = null, user = null, password = null;
        bool delete = false;
        for (int i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--delete" or "-D":
                    delete = true;
                    break;
                case "--password" or "-p" when i + 1 < args.Count:
                    password = args[++i];
                    break;
                case "--help" or "-h":
                    output.WriteLine(Usage);
                    return 0;
                case var a when a.StartsWith('-'):
                    error.WriteLine($"unknown option {a}\n{Usage}");
                    return 2;
                case var a when path is null:
                    path = a;
                    break;
                case var a when user is null:
                    user = a;
                    break;
                default:
                    error.WriteLine(Usage);
                    return 2;
            }
        }

        if (path is null || user is null || (delete && password is not null))
        {
            error.WriteLine(Usage);
            return 2;
        }

        try
        {
            if (delete)
            {
                if (!Delete(path, user))
                {
                    error.WriteLine($"{path}: no user '{user}'");
                    return 1;
                }

                output.WriteLine($"deleted {user}");
                return 0;
            }

            if (PasswordFile.ValidateUsername(user) is { } bad)
            {
                error.WriteLine(bad);
                return 2;
            }

            if (password is null)
            {
                password = interactive ? ReadTwice(error) : input.ReadLine();
                if (password is null)
                {
                    error.WriteLine("no password given (--password P, or one line on standard input)");
                    return 2;
                }
            }

            if (password.Length == 0)
            {
                error.WriteLine("the password is empty");
                return 2;
            }

            bool added = SetPassword(path, user, password);
            output.WriteLine(added ? $"added {user}" : $"changed the password of {user}");
            return 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            error.WriteLine(ex.Message);
            return 1;
        }
    }

    /// <summary>How to call <see cref="Run"/>.</summary>
    public const string Usage = "usage: passwd FILE USER [--password P]   add a user or change its password (read from standard input without --password)\n       passwd FILE USER --delete           delete a user";

    private static string? ReadTwice(TextWriter prompt)
    {
        prompt.Write("Password: ");
        string first = ReadHidden();
        prompt.Write("\nPassword again: ");
        string second = ReadHidden();
        prompt.WriteLine();
        if (!string.Equals(first, second, StringComparison.Ordinal))
        {
            prompt.WriteLine("the passwords differ");
            return null;
        }

        return first;
    }

    private static string ReadHidden()
    {
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                return text.ToString();
            }

            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                {
                    text.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                text.Append(key.KeyChar);
            }
        }
    }
}
