namespace Starling.Mqtt;

/// <summary>Topic name and topic filter rules (section 4.7), on strings and on UTF-8 bytes.</summary>
public static class MqttTopic
{
    /// <summary>The prefix of a shared subscription filter (5.0, section 4.8.2).</summary>
    public const string SharePrefix = "$share/";

    /// <summary>
    /// A topic name is at least one character [MQTT-4.7.3-1], has no '+' or '#' [MQTT-4.7.1-1], no U+0000
    /// [MQTT-4.7.3-2]. UTF-8 well-formedness is the reader's job.
    /// </summary>
    public static bool IsValidTopicName(ReadOnlySpan<char> topic)
    {
        if (topic.IsEmpty)
        {
            return false;
        }

        return topic.IndexOfAny('+', '#', '\0') < 0;
    }

    /// <inheritdoc cref="IsValidTopicName(ReadOnlySpan{char})"/>
    public static bool IsValidTopicName(ReadOnlySpan<byte> topicUtf8)
    {
        if (topicUtf8.IsEmpty)
        {
            return false;
        }

        return topicUtf8.IndexOfAny((byte)'+', (byte)'#', (byte)0) < 0;
    }

    /// <summary>
    /// A topic filter is not empty [MQTT-4.7.3-1]; '#' stands alone as the last level [MQTT-4.7.1-2];
    /// '+' fills a whole level [MQTT-4.7.1-3]; no U+0000. Shared filters are checked with
    /// <see cref="TryParseShared"/> first.
    /// </summary>
    public static bool IsValidTopicFilter(ReadOnlySpan<char> filter)
    {
        if (filter.IsEmpty)
        {
            return false;
        }

        for (int i = 0; i < filter.Length; i++)
        {
            char c = filter[i];
            if (c == '\0')
            {
                return false;
            }

            bool startsLevel = i == 0 || filter[i - 1] == '/';
            bool endsLevel = i == filter.Length - 1 || filter[i + 1] == '/';
            if (c == '+' && !(startsLevel && endsLevel))
            {
                return false;
            }

            if (c == '#' && !(startsLevel && i == filter.Length - 1))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the filter holds '+' or '#'.</summary>
    public static bool HasWildcard(ReadOnlySpan<char> filter) => filter.IndexOfAny('+', '#') >= 0;

    /// <summary>
    /// Splits "$share/{group}/{filter}" into its group and filter. Returns false when the filter is not a
    /// shared one. <paramref name="valid"/> is false when it is shared but malformed: an empty group, a group
    /// holding '+' or '#' [MQTT-4.8.2-2], or no filter after the group [MQTT-4.8.2-1].
    /// </summary>
    public static bool TryParseShared(string filter, out string group, out string innerFilter, out bool valid)
    {
        group = "";
        innerFilter = "";
        valid = false;
        if (!filter.StartsWith(SharePrefix, StringComparison.Ordinal))
        {
            return false;
        }

        int slash = filter.IndexOf('/', SharePrefix.Length);
        if (slash < 0)
        {
            return true;
        }

        group = filter[SharePrefix.Length..slash];
        innerFilter = filter[(slash + 1)..];
        valid = group.Length > 0 && group.IndexOfAny(['+', '#']) < 0 && IsValidTopicFilter(innerFilter);
        return true;
    }

    /// <summary>
    /// Whether <paramref name="topic"/> matches <paramref name="filter"/>. A reference implementation for
    /// tests and tools; the broker matches through its topic tree. Topics starting with '$' are not matched
    /// by a filter whose first level is '+' or '#' [MQTT-4.7.2-1].
    /// </summary>
    public static bool Matches(ReadOnlySpan<char> filter, ReadOnlySpan<char> topic)
    {
        if (!topic.IsEmpty && topic[0] == '$' && !filter.IsEmpty && (filter[0] == '+' || filter[0] == '#'))
        {
            return false;
        }

        while (true)
        {
            int fs = filter.IndexOf('/');
            ReadOnlySpan<char> fLevel = fs < 0 ? filter : filter[..fs];
            if (fLevel.SequenceEqual("#"))
            {
                return true;
            }

            int ts = topic.IndexOf('/');
            ReadOnlySpan<char> tLevel = ts < 0 ? topic : topic[..ts];
            if (!fLevel.SequenceEqual("+") && !fLevel.SequenceEqual(tLevel))
            {
                return false;
            }

            if (fs < 0 || ts < 0)
            {
                // "a/#" also matches "a": the filter's rest is exactly "#".
                return fs < 0 && ts < 0 || ts < 0 && filter[(fs + 1)..].SequenceEqual("#");
            }

            filter = filter[(fs + 1)..];
            topic = topic[(ts + 1)..];
        }
    }
}
