using Starling.Mqtt;

namespace Starling.Security;

/// <summary>What an ACL rule grants.</summary>
[Flags]
public enum AclAccess
{
    /// <summary>Subscribe and receive.</summary>
    Read = 1,

    /// <summary>Publish.</summary>
    Write = 2,

    /// <summary>Both.</summary>
    ReadWrite = Read | Write,
}

/// <summary>One <c>topic</c> or <c>pattern</c> line of an ACL file.</summary>
/// <param name="Access">What it grants.</param>
/// <param name="Filter">The topic filter, with <c>%u</c> and <c>%c</c> still in it for a pattern.</param>
/// <param name="IsPattern">A <c>pattern</c> line (applies to every client, with substitution).</param>
/// <param name="LineNumber">Where it is in the file.</param>
public sealed record AclRule(AclAccess Access, string Filter, bool IsPattern, int LineNumber);

/// <summary>
/// A mosquitto-like ACL file. Lines:
/// <list type="bullet">
/// <item><c>user NAME</c>: the <c>topic</c> lines that follow apply to that user (the rest of the line is the name).</item>
/// <item><c>topic [read|write|readwrite] FILTER</c>: a rule for the current user; before any <c>user</c> line, for
/// clients without a user name. Without an access word it is <c>readwrite</c>.</item>
/// <item><c>pattern [read|write|readwrite] FILTER</c>: a rule for every client, where <c>%u</c> is replaced by the
/// user name and <c>%c</c> by the client id. A pattern with <c>%u</c> does not apply to a client without a user
/// name, and none applies when the name or id contains '+', '#' or '/'.</item>
/// <item><c>default deny|allow</c>: what happens to a topic no rule of the client matches. Default <c>deny</c>.</item>
/// <item>Blank lines and lines starting with '#'.</item>
/// </list>
/// Decisions: a publish to topic T is allowed when a write rule matches T. A subscription to filter F is allowed
/// when a read rule <em>covers</em> F, that is every topic F matches is matched by the rule's filter too
/// (<c>a/#</c> covers <c>a/b/+</c>; <c>a/+</c> does not cover <c>a/#</c>). So every message a granted
/// subscription receives, retained or live, is readable. With <c>default allow</c>, what no rule grants is still
/// allowed unless a rule of the client restricts it: a publish is refused when a read-only rule matches T, a
/// subscription when a write-only rule overlaps F.
/// </summary>
public sealed class AclFile
{
    private static readonly char[] Forbidden = ['+', '#', '/'];
    private readonly List<AclRule> _anonymous = [];
    private readonly Dictionary<string, List<AclRule>> _users = new(StringComparer.Ordinal);
    private readonly List<AclRule> _patterns = [];

    /// <summary>Whether a topic no rule of the client speaks about is allowed (<c>default allow</c>).</summary>
    public bool DefaultAllow { get; private set; }

    /// <summary>Rules for clients without a user name (topic lines before any user line).</summary>
    public IReadOnlyList<AclRule> AnonymousRules => _anonymous;

    /// <summary>Pattern rules, for everyone.</summary>
    public IReadOnlyList<AclRule> Patterns => _patterns;

    /// <summary>The users with a section.</summary>
    public IReadOnlyCollection<string> Users => _users.Keys;

    /// <summary>The rules of a user's section (empty when it has none).</summary>
    public IReadOnlyList<AclRule> RulesOf(string user) => _users.TryGetValue(user, out var rules) ? rules : [];

    /// <summary>Reads a file; throws <see cref="SecurityFileFormatException"/> naming the line of an error.</summary>
    public static AclFile Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the text of an ACL file; <paramref name="fileName"/> is used in error messages.</summary>
    public static AclFile Parse(string text, string? fileName = null)
    {
        var acl = new AclFile();
        List<AclRule> current = acl._anonymous;
        bool defaultSeen = false;
        int number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int space = line.IndexOfAny([' ', '\t']);
            string keyword = space < 0 ? line : line[..space];
            string rest = space < 0 ? "" : line[(space + 1)..].Trim();
            switch (keyword)
            {
                case "user":
                    if (rest.Length == 0)
                    {
                        throw new SecurityFileFormatException(fileName, number, "'user' needs a user name");
                    }

                    if (!acl._users.TryGetValue(rest, out var list))
                    {
                        acl._users[rest] = list = [];
                    }

                    current = list;
                    break;

                case "topic":
                case "pattern":
                    bool isPattern = keyword == "pattern";
                    var rule = ParseRule(rest, isPattern, number, fileName, keyword);
                    (isPattern ? acl._patterns : current).Add(rule);
                    break;

                case "default":
                    if (defaultSeen)
                    {
                        throw new SecurityFileFormatException(fileName, number, "a second 'default' line");
                    }

                    defaultSeen = true;
                    acl.DefaultAllow = rest switch
                    {
                        "allow" => true,
                        "deny" => false,
                        _ => throw new SecurityFileFormatException(fileName, number, $"'default' must be 'allow' or 'deny', not '{rest}'"),
                    };
                    break;

                default:
                    throw new SecurityFileFormatException(fileName, number, $"unknown keyword '{keyword}' (expected user, topic, pattern or default)");
            }
        }

        return acl;
    }

    private static AclRule ParseRule(string rest, bool isPattern, int number, string? fileName, string keyword)
    {
        int space = rest.IndexOfAny([' ', '\t']);
        string first = space < 0 ? rest : rest[..space];
        AclAccess access = AclAccess.ReadWrite;
        string filter = rest;
        switch (first)
        {
            case "read":
                access = AclAccess.Read;
                break;
            case "write":
                access = AclAccess.Write;
                break;
            case "readwrite":
                access = AclAccess.ReadWrite;
                break;
            case "deny":
                throw new SecurityFileFormatException(fileName, number, "'deny' rules are not supported; leave the topic out, or use 'default deny'");
            default:
                first = "";
                break;
        }

        if (first.Length > 0)
        {
            filter = space < 0 ? "" : rest[(space + 1)..].Trim();
        }

        if (filter.Length == 0)
        {
            throw new SecurityFileFormatException(fileName, number, $"'{keyword}' needs a topic filter");
        }

        string check = isPattern ? filter.Replace("%u", "u", StringComparison.Ordinal).Replace("%c", "c", StringComparison.Ordinal) : filter;
        if (!MqttTopic.IsValidTopicFilter(check))
        {
            throw new SecurityFileFormatException(fileName, number, $"'{filter}' is not a valid topic filter");
        }

        return new AclRule(access, filter, isPattern, number);
    }

    /// <summary>Whether the client may publish to <paramref name="topic"/>.</summary>
    public bool CanPublish(string? username, string clientId, string topic)
    {
        bool restricted = false;
        foreach (var rule in Applicable(username, clientId))
        {
            if (MqttTopic.Matches(rule.Filter, topic))
            {
                if ((rule.Access & AclAccess.Write) != 0)
                {
                    return true;
                }

                restricted = true;
            }
        }

        return DefaultAllow && !restricted;
    }

    /// <summary>
    /// Whether the client may subscribe to <paramref name="topicFilter"/> (a shared subscription is judged by its
    /// inner filter); for a topic name, whether the client may receive messages of that topic.
    /// </summary>
    public bool CanSubscribe(string? username, string clientId, string topicFilter)
    {
        string filter = MqttTopic.TryParseShared(topicFilter, out _, out var inner, out _) ? inner : topicFilter;
        bool restricted = false;
        foreach (var rule in Applicable(username, clientId))
        {
            if ((rule.Access & AclAccess.Read) != 0)
            {
                if (AclFilters.Covers(rule.Filter, filter))
                {
                    return true;
                }
            }
            else if (AclFilters.Overlap(rule.Filter, filter))
            {
                restricted = true;
            }
        }

        return DefaultAllow && !restricted;
    }

    /// <summary>Whether the client may receive a message published to <paramref name="topic"/>.</summary>
    public bool CanRead(string? username, string clientId, string topic) => CanSubscribe(username, clientId, topic);

    /// <summary>The rules that apply to a client, patterns substituted.</summary>
    private List<(AclAccess Access, string Filter)> Applicable(string? username, string clientId)
    {
        var result = new List<(AclAccess, string)>();
        foreach (var rule in username is null ? _anonymous : RulesOf(username))
        {
            result.Add((rule.Access, rule.Filter));
        }

        bool userUsable = username is { Length: > 0 } && username.IndexOfAny(Forbidden) < 0;
        bool clientUsable = clientId.Length > 0 && clientId.IndexOfAny(Forbidden) < 0;
        foreach (var rule in _patterns)
        {
            bool hasUser = rule.Filter.Contains("%u", StringComparison.Ordinal);
            bool hasClient = rule.Filter.Contains("%c", StringComparison.Ordinal);
            if ((hasUser && !userUsable) || (hasClient && !clientUsable))
            {
                continue;
            }

            string filter = rule.Filter;
            if (hasUser)
            {
                filter = filter.Replace("%u", username!, StringComparison.Ordinal);
            }

            if (hasClient)
            {
                filter = filter.Replace("%c", clientId, StringComparison.Ordinal);
            }

            result.Add((rule.Access, filter));
        }

        return result;
    }
}
