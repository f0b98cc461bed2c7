namespace Starling.TestSupport;

/// <summary>
/// A real mosquitto broker (Debian's, which scripts/test.sh installs) on 127.0.0.1, with persistence on in its
/// directory so that a <see cref="LocalServer.RestartGracefully"/> keeps the persistent sessions and their queued messages.
/// Optionally it requires a user name and password, and speaks TLS only.
/// </summary>
public sealed class MosquittoServer : LocalServer
{
    private MosquittoServer(MosquittoSettings settings)
        : base("mosquitto", "mosquitto", (port, directory) => ["-c", WriteConfiguration(port, directory, settings)])
    {
    }

    public static MosquittoServer Start(MosquittoSettings? settings = null) => new(settings ?? new MosquittoSettings());

    /// <summary>
    /// Writes mosquitto.conf (and the password file) into the server's directory before it starts; the path is the
    /// argument mosquitto is given.
    /// </summary>
    private static string WriteConfiguration(int port, string directory, MosquittoSettings settings)
    {
        var lines = new List<string>
        {
            $"listener {Text(port)} 127.0.0.1",
            "user root", // run as root here, mosquitto would drop to its own user, who cannot use this directory
            "persistence true",
            $"persistence_location {directory}/",
            "max_queued_messages 100000",
            "log_dest stderr", // unbuffered, so a failing test sees the last lines
            "log_type all",
        };
        if (settings.Username is { } username)
        {
            string passwords = Path.Combine(directory, "passwords");
            File.WriteAllText(passwords, "");
            using var hash = System.Diagnostics.Process.Start("mosquitto_passwd", ["-b", passwords, username, settings.Password ?? ""]);
            hash.WaitForExit();
            lines.Add("allow_anonymous false");
            lines.Add($"password_file {passwords}");
        }
        else
        {
            lines.Add("allow_anonymous true");
        }

        if (settings.CertificateFile is { } certificate)
        {
            lines.Add($"certfile {certificate}");
            lines.Add($"keyfile {settings.KeyFile}");
        }

        string path = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllLines(path, lines);
        return path;
    }
}

/// <summary>How a <see cref="MosquittoServer"/> is set up: anonymous and plain TCP unless told otherwise.</summary>
public sealed record MosquittoSettings(string? Username = null, string? Password = null, string? CertificateFile = null, string? KeyFile = null);
