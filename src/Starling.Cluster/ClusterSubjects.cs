using System.Text;

namespace Starling.Cluster;

/// <summary>
/// MQTT topics as NATS subjects: <c>starling.m.</c> then one token per topic level. A NATS token may not be empty nor
/// hold '.', '*', '>' or white space, so a level keeps only [A-Za-z0-9_-] as they are and writes every other UTF-8
/// byte as '~' and two hex digits ('~' itself included); an empty level is the token "~". Filters map '+' to '*'
/// and a final '#' to '>' (plus the parent level, which '#' matches too [MQTT-4.7.1-2]); the receiving broker's own
/// topic tree makes the final match ($ topics, shared groups, options).
/// </summary>
public static class ClusterSubjects
{
    public const string Prefix = "starling.m";

    /// <summary>
    /// Retained messages (and deletions) again, one subject per topic under this prefix, captured by the JetStream
    /// stream that keeps the last message per subject, so a node that joins later finds them all.
    /// </summary>
    public const string RetainedPrefix = "starling.r";

    public static string ForTopic(string topic) => Subject(Prefix, topic);

    /// <summary>
    /// The NATS queue group of the shared subscription <paramref name="shareName"/> at <paramref name="topicFilter"/>:
    /// the same on every node, and a valid queue name (base64url of both, which hold no white space then).
    /// </summary>
    public static string QueueGroup(string shareName, string topicFilter)
    {
        ArgumentNullException.ThrowIfNull(shareName);
        ArgumentNullException.ThrowIfNull(topicFilter);
        return "share." + Base64Url(shareName + "/" + topicFilter);
    }

    /// <summary>
    /// Base64url of <paramref name="text"/>'s UTF-8, without padding: any name as one NATS token, KV key or queue
    /// name, which allow letters, digits and '-' and '_'.
    /// </summary>
    public static string Base64Url(string text) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The subject of <paramref name="topic"/>'s retained message in the retained stream.</summary>
    public static string ForRetained(string topic) => Subject(RetainedPrefix, topic);

    private static string Subject(string prefix, string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        var subject = new StringBuilder(prefix.Length + topic.Length + 8).Append(prefix);
        foreach (string level in topic.Split('/'))
        {
            subject.Append('.');
            AppendEscaped(subject, level);
        }

        return subject.ToString();
    }

    /// <summary>The topic of a subject <see cref="ForTopic"/> made; <see cref="FormatException"/> for one it did not.</summary>
    public static string TopicOf(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        if (!subject.StartsWith(Prefix + ".", StringComparison.Ordinal))
        {
            throw new FormatException($"'{subject}' is not a Starling message subject.");
        }

        var tokens = subject[(Prefix.Length + 1)..].Split('.');
        return string.Join('/', tokens.Select(Unescape));
    }

    /// <summary>The subjects that cover <paramref name="topicFilter"/> (a valid filter without a $share prefix).</summary>
    public static IReadOnlyList<string> ForFilter(string topicFilter)
    {
        ArgumentNullException.ThrowIfNull(topicFilter);
        var levels = topicFilter.Split('/');
        var subject = new StringBuilder(Prefix);
        for (int i = 0; i < levels.Length; i++)
        {
            string level = levels[i];
            if (level == "#")
            {
                // '#' matches the parent level too ("a/#" matches "a"), except at the root, where every topic has a level.
                return i == 0 ? [subject + ".>"] : [subject.ToString(), subject + ".>"];
            }

            subject.Append('.');
            if (level == "+")
            {
                subject.Append('*');
            }
            else
            {
                AppendEscaped(subject, level);
            }
        }

        return [subject.ToString()];
    }

    /// <summary>One subject token for <paramref name="name"/> (a node's name), escaped as a topic level is.</summary>
    public static string Token(string name)
    {
        var token = new StringBuilder(name.Length);
        AppendEscaped(token, name);
        return token.ToString();
    }

    private static void AppendEscaped(StringBuilder subject, string level)
    {
        if (level.Length == 0)
        {
            subject.Append('~');
            return;
        }

        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in level.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '_' or '-'))
            {
                subject.Append((char)rune.Value);
                continue;
            }

            int count = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < count; i++)
            {
                subject.Append('~').Append(utf8[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    private static string Unescape(string token)
    {
        if (token == "~")
        {
            return "";
        }

        if (!token.Contains('~', StringComparison.Ordinal))
        {
            return token;
        }

        var bytes = new List<byte>(token.Length);
        for (int i = 0; i < token.Length; i++)
        {
            if (token[i] == '~')
            {
                if (i + 2 >= token.Length)
                {
                    throw new FormatException($"'{token}' ends inside an escape.");
                }

                bytes.Add(Convert.ToByte(token.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.Add((byte)token[i]);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
