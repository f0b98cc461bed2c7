using System.Text;

namespace Starling.Security;

/// <summary>
/// A password file: one line per user, <c>username:$pbkdf2-sha512$ITERATIONS$SALT_BASE64$HASH_BASE64</c>. Blank lines
/// and lines starting with '#' are ignored (and not kept by <see cref="Save"/>). Not thread-safe: the hook reads a
/// loaded file and replaces it whole on reload.
/// </summary>
public sealed class PasswordFile
{
    private readonly OrderedDictionary<string, string> _users = new(StringComparer.Ordinal);

    /// <summary>The user names, in file order.</summary>
    public IReadOnlyCollection<string> Users => _users.Keys;

    /// <summary>The number of users.</summary>
    public int Count => _users.Count;

    /// <summary>Whether <paramref name="username"/> has an entry.</summary>
    public bool Contains(string username) => _users.ContainsKey(username);

    /// <summary>The encoded hash of <paramref name="username"/>, or null.</summary>
    public string? GetHash(string username) => _users.TryGetValue(username, out var hash) ? hash : null;

    /// <summary>Reads a file; throws <see cref="SecurityFileFormatException"/> naming the line of an error.</summary>
    public static PasswordFile Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the text of a password file; <paramref name="fileName"/> is used in error messages.</summary>
    public static PasswordFile Parse(string text, string? fileName = null)
    {
        var file = new PasswordFile();
        int number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            string line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new SecurityFileFormatException(fileName, number, "expected 'username:hash'");
            }

            string user = line[..colon];
            string hash = line[(colon + 1)..].Trim();
            if (ValidateUsername(user) is { } bad)
            {
                throw new SecurityFileFormatException(fileName, number, bad);
            }

            if (!PasswordHasher.TryParse(hash, out _, out _, out _, out var error))
            {
                throw new SecurityFileFormatException(fileName, number, $"user '{user}': {error}");
            }

            if (!file._users.TryAdd(user, hash))
            {
                throw new SecurityFileFormatException(fileName, number, $"user '{user}' appears twice");
            }
        }

        return file;
    }

    /// <summary>Null when <paramref name="username"/> may be stored, else why not.</summary>
    public static string? ValidateUsername(string username) =>
        username.Length == 0 ? "empty user name"
        : username.Contains(':', StringComparison.Ordinal) ? $"user name '{username}' contains ':'"
        : username.Any(char.IsControl) ? "user name contains a control character"
        : username.Trim().Length != username.Length ? $"user name '{username}' starts or ends with white space"
        : null;

    /// <summary>Adds <paramref name="username"/> or changes its password (hashed with a new salt).</summary>
    public void SetPassword(string username, string password, int iterations = PasswordHasher.DefaultIterations)
    {
        if (ValidateUsername(username) is { } bad)
        {
            throw new ArgumentException(bad, nameof(username));
        }

        _users[username] = PasswordHasher.Hash(password, iterations);
    }

    /// <summary>Removes <paramref name="username"/>; false when it was not there.</summary>
    public bool Remove(string username) => _users.Remove(username);

    /// <summary>Whether the user exists and the password is right (constant-time compare of the hashes).</summary>
    public bool Verify(string username, string password) =>
        _users.TryGetValue(username, out var hash) && PasswordHasher.Verify(hash, password);

    /// <summary>The file's text.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var (user, hash) in _users)
        {
            text.Append(user).Append(':').Append(hash).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes the file atomically (a temporary file in the same directory, then a rename), readable by its owner
    /// only on Unix.
    /// </summary>
    public void Save(string path)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false)))
        {
            writer.Write(ToString());
        }

        File.Move(temp, full, overwrite: true);
    }
}
