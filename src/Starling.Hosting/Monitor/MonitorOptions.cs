namespace Starling.Hosting.Monitor;

/// <summary>The web monitor, the admin API and <c>/metrics</c> (<c>Starling:Monitor</c>; docs/monitor.md).</summary>
public sealed class MonitorOptions
{
    public const string Section = "Monitor";

    /// <summary>The listener the monitor adds, on <see cref="BindAddress"/>:<see cref="Port"/>.</summary>
    public const string ListenerName = "monitor";

    /// <summary>Serve the monitor (on by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Whether it opens its own http listener; false when an app maps it on its own Kestrel (<c>MapStarlingMonitor</c>).</summary>
    internal bool OwnListener { get; set; } = true;

    /// <summary>Where its http listener binds: loopback by default, so it is private to the machine.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The port when none is configured.</summary>
    public const int DefaultPort = 18083;

    /// <summary>
    /// Its port (0: any free one). Left unset, it is <see cref="DefaultPort"/>, and a broker that finds that port taken
    /// (another broker on the machine) starts without its monitor and says so, rather than not at all; a port that is
    /// set must be free.
    /// </summary>
    public int? Port { get; set; }

    /// <summary>Keys accepted in <c>X-Api-Key</c> or <c>Authorization: Bearer</c>.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>Password-file users allowed in with HTTP Basic (none listed: every user of the file).</summary>
    public List<string> Users { get; set; } = [];

    /// <summary>Ask for credentials on loopback too (they are always asked for elsewhere).</summary>
    public bool RequireAuthentication { get; set; }

    /// <summary>Topics the explorer keeps; the least recently published goes first.</summary>
    public int TopicTreeMaxTopics { get; set; } = 10_000;

    /// <summary>Bytes of a payload kept per topic and shown in the trace.</summary>
    public int PayloadPreviewBytes { get; set; } = 1024;

    /// <summary>Packets a trace holds for a viewer that reads slower than they pass (the oldest go).</summary>
    public int TraceBufferSize { get; set; } = 1000;

    internal void Validate()
    {
        string key = $"{StarlingServerOptions.Section}:{Section}";
        if (!System.Net.IPAddress.TryParse(BindAddress, out _))
        {
            throw new ArgumentException($"{key}:BindAddress '{BindAddress}' is not an IP address.");
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"{key}:Port must be between 0 and 65535, not {Port}.");
        }

        if (TopicTreeMaxTopics < 1 || PayloadPreviewBytes < 0 || TraceBufferSize < 1)
        {
            throw new ArgumentException($"{key}: TopicTreeMaxTopics and TraceBufferSize must be 1 or more, PayloadPreviewBytes 0 or more.");
        }
    }
}
