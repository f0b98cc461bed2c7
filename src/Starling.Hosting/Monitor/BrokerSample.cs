namespace Starling.Hosting.Monitor;

/// <summary>One second of the broker, as the overview charts it (the <c>stats</c> event).</summary>
internal sealed record BrokerSample(
    DateTimeOffset Time,
    double MessagesReceivedPerSecond,
    double MessagesSentPerSecond,
    double BytesReceivedPerSecond,
    double BytesSentPerSecond,
    int Connections,
    long MemoryBytes,
    double CpuPercent);
