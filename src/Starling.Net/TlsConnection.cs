using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Starling.Net;

/// <summary>
/// One accepted socket speaking TLS through <see cref="SslStream"/>. The handshake runs first
/// (<see cref="AuthenticateAsync"/>); then the shared receive loop reads decrypted bytes, waiting with a
/// zero-byte read while idle.
/// </summary>
internal sealed class TlsConnection : StreamConnection
{
    private readonly SslStream _stream;
    private readonly TlsServerSettings _settings;
    private string? _certificateUsername;
    private string? _refusal;

    public TlsConnection(Socket socket, string listenerName, TlsServerSettings settings)
        : base(socket, listenerName)
    {
        _settings = settings;
        _stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
    }

    public override string? CertificateUsername => _certificateUsername;

    /// <summary>Why the client certificate was refused, when it was.</summary>
    public string? Refusal => _refusal;

    /// <summary>Runs the TLS handshake; throws <see cref="AuthenticationException"/> or <see cref="IOException"/> when it fails.</summary>
    public async Task AuthenticateAsync(CancellationToken cancellationToken)
    {
        var options = _settings.CreateServerOptions(ValidateClientCertificate);
        await _stream.AuthenticateAsServerAsync(options, cancellationToken).ConfigureAwait(false);
        if (_settings.UseCertificateCommonNameAsUsername && _stream.RemoteCertificate is { } certificate)
        {
            using var parsed = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            _certificateUsername = TlsServerSettings.CommonName(parsed);
        }
    }

    public override async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        await _stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);

    protected override ValueTask<int> ReceiveAsync(Memory<byte> buffer) => _stream.ReadAsync(buffer);

    protected override void OnClosed() => _stream.Dispose();

    /// <summary>close_notify first, so the client knows the TLS stream ended cleanly, then the TCP FIN.</summary>
    protected override async ValueTask ShutdownOutputAsync()
    {
        await _stream.ShutdownAsync().ConfigureAwait(false);
        Socket.Shutdown(SocketShutdown.Send);
    }

    private bool ValidateClientCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (_settings.ValidateClientCertificate(certificate, chain, out string? refusal))
        {
            return true;
        }

        _refusal = refusal;
        return false;
    }
}
