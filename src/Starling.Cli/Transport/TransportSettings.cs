namespace Starling.Cli.Transport;

/// <summary>How to reach the broker: TCP, TLS over TCP, or a WebSocket (ws:// or wss://) URL.</summary>
internal sealed record TransportSettings
{
    public string Host { get; init; } = "localhost";

    public int Port { get; init; } = 1883;

    public bool Tls { get; init; }

    public string? CaFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    public bool Insecure { get; init; }

    public Uri? WebSocketUrl { get; init; }

    /// <summary>A display name for errors: host:port or the URL.</summary>
    public string Endpoint => WebSocketUrl?.ToString() ?? $"{Host}:{Port}{(Tls ? " (TLS)" : "")}";
}
