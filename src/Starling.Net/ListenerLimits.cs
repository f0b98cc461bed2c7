namespace Starling.Net;

/// <summary>Limits of one listener.</summary>
/// <param name="MaximumConnections">Open connections allowed at once; 0 is no limit. Past it a new connection is closed at once.</param>
/// <param name="HandshakeTimeout">
/// Time from accept until the client's CONNECT has been accepted (the TLS handshake included); past it the
/// connection is closed. <see cref="TimeSpan.Zero"/> leaves only the broker's own CONNECT timeout.
/// </param>
public sealed record ListenerLimits(int MaximumConnections, TimeSpan HandshakeTimeout)
{
    /// <summary>No connection limit and no handshake deadline (the broker's CONNECT timeout still applies).</summary>
    public static ListenerLimits None { get; } = new(0, TimeSpan.Zero);
}
