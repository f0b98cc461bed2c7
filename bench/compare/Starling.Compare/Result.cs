namespace Starling.Compare;

/// <summary>What one run of one scenario against one broker measured. Null means "not measured".</summary>
internal sealed class Result
{
    public string Broker { get; set; } = "";

    public string Scenario { get; set; } = "";

    public int Run { get; set; }

    /// <summary>Why the run has no numbers, or what went wrong during it.</summary>
    public string? Error { get; set; }

    public double? Throughput { get; set; }

    public double? P50Us { get; set; }

    public double? P99Us { get; set; }

    public double? P999Us { get; set; }

    public double? MaxUs { get; set; }

    public long? Sent { get; set; }

    public long? Received { get; set; }

    public long? Lost { get; set; }

    public long? Duplicated { get; set; }

    public long? OutOfOrder { get; set; }

    /// <summary>Stalled subscribers (`--stalled`) the broker had disconnected by the end of the run.</summary>
    public int? StalledDisconnected { get; set; }

    /// <summary>The generator's own "errors" field, as it printed it.</summary>
    public string? GeneratorErrors { get; set; }

    /// <summary>Highest VmRSS sampled during the run, or VmHWM when higher (the broker is started for each run).</summary>
    public long? PeakRssBytes { get; set; }

    /// <summary>VmRSS once the broker accepted connections, before the run.</summary>
    public long? StartRssBytes { get; set; }

    /// <summary>CPU of the broker over the measured window, % of one core.</summary>
    public double? BrokerCpu { get; set; }

    /// <summary>CPU of the load generator over the measured window, % of one core.</summary>
    public double? GeneratorCpu { get; set; }

    /// <summary>CPU of everything else on the machine over the measured window, % of one core.</summary>
    public double? OtherCpu { get; set; }

    /// <summary>Seconds of the window the CPU figures cover.</summary>
    public double? CpuWindowSeconds { get; set; }

    // Idle connections.
    public int? Connections { get; set; }

    public double? ConnectSeconds { get; set; }

    public double? ConnectP99Us { get; set; }

    public long? RssBeforeBytes { get; set; }

    public long? RssAfterBytes { get; set; }

    public double? RssPerConnectionBytes { get; set; }

    public int? StillOpen { get; set; }

    /// <summary>Wall-clock seconds of the whole cell: broker start, run, stop.</summary>
    public double WallSeconds { get; set; }

    /// <summary>The generator's command line.</summary>
    public string? Command { get; set; }

    /// <summary>The generator's JSON output, verbatim.</summary>
    public string? Raw { get; set; }
}
