namespace Starling.Security;

/// <summary>Relations between two topic filters, level by level ('/'), with MQTT's wildcard rules.</summary>
public static class AclFilters
{
    /// <summary>
    /// Whether every topic that <paramref name="filter"/> matches is also matched by <paramref name="rule"/>:
    /// <c>a/#</c> covers <c>a/b/+</c>, <c>a/#</c> and <c>a</c>; <c>a/+</c> covers <c>a/b</c> and <c>a/+</c> but
    /// not <c>a/#</c>; <c>#</c> and <c>+/...</c> do not cover a filter whose first level starts with '$'. For a
    /// filter without wildcards this is <see cref="Starling.Mqtt.MqttTopic.Matches"/>.
    /// </summary>
    public static bool Covers(string rule, string filter)
    {
        string[] r = rule.Split('/');
        string[] f = filter.Split('/');
        if (f[0].StartsWith('$') && r[0] is "+" or "#")
        {
            return false;
        }

        for (int i = 0; ; i++)
        {
            if (i == r.Length)
            {
                return i == f.Length;
            }

            if (r[i] == "#")
            {
                return true;
            }

            if (i == f.Length)
            {
                return false; // the filter is shorter: only a rule ending in "#" covers it, seen above ("a/#" covers "a")
            }

            if (f[i] == "#")
            {
                return false; // only a '#' of the rule covers a '#' of the filter
            }

            if (r[i] == "+")
            {
                continue; // covers one level: a name or '+'
            }

            if (f[i] == "+" || !string.Equals(r[i], f[i], StringComparison.Ordinal))
            {
                return false;
            }
        }
    }

    /// <summary>Whether some topic is matched by both filters.</summary>
    public static bool Overlap(string a, string b)
    {
        string[] x = a.Split('/');
        string[] y = b.Split('/');
        if ((x[0].StartsWith('$') && y[0] is "+" or "#") || (y[0].StartsWith('$') && x[0] is "+" or "#"))
        {
            return false;
        }

        for (int i = 0; ; i++)
        {
            bool xEnd = i == x.Length;
            bool yEnd = i == y.Length;
            if (xEnd || yEnd)
            {
                // Both ended, or the longer one's rest is exactly "#" (which also matches the parent level).
                return (xEnd && yEnd) || (xEnd ? i == y.Length - 1 && y[i] == "#" : i == x.Length - 1 && x[i] == "#");
            }

            if (x[i] == "#" || y[i] == "#")
            {
                return true;
            }

            if (x[i] != "+" && y[i] != "+" && !string.Equals(x[i], y[i], StringComparison.Ordinal))
            {
                return false;
            }
        }
    }
}
