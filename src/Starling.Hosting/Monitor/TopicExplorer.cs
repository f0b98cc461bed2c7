using Starling.Broker;
using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Hosting.Monitor;

/// <summary>
/// The topic tree the explorer shows: every topic published while someone watches, with its message count, rate and
/// last payload (cut to <see cref="MonitorOptions.PayloadPreviewBytes"/>). At most
/// <see cref="MonitorOptions.TopicTreeMaxTopics"/> topics: the least recently published is evicted first.
/// </summary>
internal sealed class TopicExplorer(MonitorOptions options, MqttBroker broker)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<TopicEntry>> _topics = new(StringComparer.Ordinal);

    /// <summary>Most recently published first.</summary>
    private readonly LinkedList<TopicEntry> _recency = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _topics.Count;
            }
        }
    }

    /// <summary>Seeds the tree with the retained messages, so a new viewer sees the known topics at once.</summary>
    public void SeedRetained()
    {
        var retained = new List<ApplicationMessage>();
        broker.RetainedMessages.Match("#", retained);
        foreach (var message in retained.Take(options.TopicTreeMaxTopics))
        {
            Record(message, counted: false);
        }
    }

    /// <summary>
    /// Counts a message and keeps its first bytes: under the lock only a lookup, a move to the front and a copy into
    /// the topic's own buffer, so a watched broker stays fast; the preview's text is made when the tree is read.
    /// </summary>
    public void Record(ApplicationMessage message, bool counted = true)
    {
        var payload = message.Payload.Span;
        int keep = Math.Min(payload.Length, options.PayloadPreviewBytes);
        lock (_gate)
        {
            if (_topics.TryGetValue(message.Topic, out var node))
            {
                if (!ReferenceEquals(_recency.First, node))
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                }
            }
            else
            {
                if (_topics.Count >= options.TopicTreeMaxTopics && _recency.Last is { } oldest)
                {
                    _topics.Remove(oldest.Value.Topic);
                    _recency.RemoveLast();
                }

                node = new LinkedListNode<TopicEntry>(new TopicEntry(message.Topic));
                _topics[message.Topic] = node;
                _recency.AddFirst(node);
            }

            var entry = node.Value;
            if (counted)
            {
                entry.Messages++;
            }

            if (entry.Preview.Length != keep)
            {
                entry.Preview = new byte[keep];
            }

            payload[..keep].CopyTo(entry.Preview);
            entry.LastSize = payload.Length;
            entry.LastQoS = (int)message.QoS;
            entry.LastRetain = message.Retain;
            entry.LastTicks = DateTime.UtcNow.Ticks;
            entry.HasLast = true;
        }
    }

    /// <summary>Once a second: each topic's rate over the last second.</summary>
    public void Tick(double seconds)
    {
        lock (_gate)
        {
            foreach (var entry in _recency)
            {
                entry.Rate = (entry.Messages - entry.MessagesAtTick) / seconds;
                entry.MessagesAtTick = entry.Messages;
            }
        }
    }

    /// <summary>The children of <paramref name="path"/> ("" for the root), each with what lies under it.</summary>
    public TopicLevel Children(string path)
    {
        path = path.Trim('/');
        string prefix = path.Length == 0 ? "" : path + "/";
        var children = new SortedDictionary<string, TopicNode>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var entry in _recency)
            {
                string topic = entry.Topic;
                if (!topic.StartsWith(prefix, StringComparison.Ordinal) || (prefix.Length == 0 && topic.Length == 0) || topic.Length == prefix.Length && prefix.Length > 0)
                {
                    continue;
                }

                int end = topic.IndexOf('/', prefix.Length);
                string name = end < 0 ? topic[prefix.Length..] : topic[prefix.Length..end];
                string childPath = prefix + name;
                if (!children.TryGetValue(name, out var child))
                {
                    child = new TopicNode(name, childPath);
                    children[name] = child;
                }

                child.Topics++;
                child.Messages += entry.Messages;
                child.MessagesPerSecond += entry.Rate;
                if (end < 0)
                {
                    child.Last = entry.Last();
                    child.IsTopic = true;
                }
                else
                {
                    child.HasChildren = true;
                }
            }
        }

        var retained = new List<ApplicationMessage>();
        foreach (var child in children.Values)
        {
            if (child.IsTopic && MqttTopic.IsValidTopicFilter(child.Path))
            {
                retained.Clear();
                broker.RetainedMessages.Match(child.Path, retained);
                child.Retained = retained.Count > 0;
            }
        }

        return new TopicLevel(path, [.. children.Values]);
    }

    private sealed class TopicEntry(string topic)
    {
        public string Topic { get; } = topic;

        public long Messages { get; set; }

        public long MessagesAtTick { get; set; }

        public double Rate { get; set; }

        public byte[] Preview { get; set; } = [];

        public int LastSize { get; set; }

        public int LastQoS { get; set; }

        public bool LastRetain { get; set; }

        public long LastTicks { get; set; }

        public bool HasLast { get; set; }

        public LastMessage? Last() => HasLast
            ? new LastMessage(new DateTimeOffset(LastTicks, TimeSpan.Zero), LastSize, LastQoS, LastRetain, PayloadPreview.Text(Preview), PayloadPreview.Format(Preview, Preview.Length == LastSize))
            : null;
    }
}

/// <summary>The last message of a topic: when, how large, its QoS and retain flag, and its first bytes.</summary>
internal sealed record LastMessage(DateTimeOffset Time, int Size, int Qos, bool Retain, string Preview, string Format);

/// <summary>One level of the tree: the children of <see cref="Path"/>.</summary>
internal sealed record TopicLevel(string Path, IReadOnlyList<TopicNode> Children);

/// <summary>A child in the tree, with the totals of the topics at and under it.</summary>
internal sealed class TopicNode(string name, string path)
{
    public string Name { get; } = name;

    public string Path { get; } = path;

    public int Topics { get; set; }

    public long Messages { get; set; }

    public double MessagesPerSecond { get; set; }

    public bool Retained { get; set; }

    public bool IsTopic { get; set; }

    public bool HasChildren { get; set; }

    public LastMessage? Last { get; set; }
}
