using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Starling.Cli.Tests;

/// <summary>
/// TLS and WebSocket through small proxies in front of the TCP broker (the broker itself speaks plain TCP):
/// a TLS terminator with a throwaway CA, and a WebSocket endpoint (subprotocol mqtt) on HttpListener.
/// </summary>
public sealed class TransportTests(BrokerFixture broker) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task Tls_with_cafile_and_insecure_and_an_untrusted_certificate()
    {
        using var ca = CreateCertificate("CN=starling test CA", null, isAuthority: true);
        using var server = CreateCertificate("CN=localhost", ca, isAuthority: false);
        var work = Directory.CreateTempSubdirectory("starling-tls-");
        var caFile = Path.Combine(work.FullName, "ca.pem");
        await File.WriteAllTextAsync(caFile, ca.ExportCertificatePem());
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource();
        var proxy = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = Task.Run(async () =>
                {
                    using var tls = new SslStream(client.GetStream());
                    try
                    {
                        await tls.AuthenticateAsServerAsync(server);
                        using var upstream = new TcpClient();
                        await upstream.ConnectAsync(broker.Host, broker.Port);
                        await Pump(tls, upstream.GetStream());
                    }
                    catch (Exception)
                    {
                        // A refused handshake or a closed connection.
                    }
                });
            }
        });

        try
        {
            string[] connect = ["-h", "localhost", "-p", port.ToString()];
            var topic = $"tls/{Guid.NewGuid():N}";
            var retained = await Cli.RunAsync(["pub", .. connect, "--cafile", caFile, "-t", topic, "-m", "secure", "-r", "-q", "1"]);
            Assert.True(retained.ExitCode == 0, retained.Error);

            var sub = await Cli.RunAsync(["sub", .. connect, "--insecure", "-V", "5", "-t", topic, "-C", "1", "-W", "10"]);
            Assert.True(sub.ExitCode == 0, sub.Error);
            Assert.Equal("secure", sub.Output.Trim());

            var untrusted = await Cli.RunAsync(["pub", .. connect, "--tls", "-t", topic, "-m", "x"]);
            Assert.Equal(ExitCodes.Unreachable, untrusted.ExitCode);
            Assert.Contains("TLS", untrusted.Error);

            var clear = await Cli.RunAsync(["pub", "-h", broker.Host, "-p", broker.Port.ToString(), "-t", topic, "-n", "-r"]);
            Assert.Equal(0, clear.ExitCode);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task WebSocket_url_with_the_mqtt_subprotocol()
    {
        var port = FreePort();
        using var http = new HttpListener();
        http.Prefixes.Add($"http://127.0.0.1:{port}/");
        http.Start();
        string? protocol = null;
        var proxy = Task.Run(async () =>
        {
            while (http.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await http.GetContextAsync();
                }
                catch (Exception)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    protocol = context.Request.Headers["Sec-WebSocket-Protocol"];
                    var ws = (await context.AcceptWebSocketAsync("mqtt")).WebSocket;
                    using var upstream = new TcpClient();
                    await upstream.ConnectAsync(broker.Host, broker.Port);
                    using var stream = WebSocketStream.Create(ws, WebSocketMessageType.Binary, ownsWebSocket: true);
                    try
                    {
                        await Pump(stream, upstream.GetStream());
                    }
                    catch (Exception)
                    {
                        // Closed.
                    }
                });
            }
        });

        try
        {
            var url = $"ws://127.0.0.1:{port}/mqtt";
            var topic = $"ws/{Guid.NewGuid():N}";
            var sub = await Cli.StartSubAsync(["sub", "--ws", url, "-V", "5", "-t", topic, "-C", "1", "-W", "15", "-q", "1"]);
            var pub = await Cli.RunAsync(["pub", "--ws", url, "-t", topic, "-m", "over websocket", "-q", "1"]);
            Assert.True(pub.ExitCode == 0, pub.Error);
            var result = await sub;
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Equal("over websocket", result.Output.Trim());
            Assert.Equal("mqtt", protocol);
        }
        finally
        {
            http.Stop();
        }
    }

    private static async Task Pump(Stream a, Stream b)
    {
        var one = a.CopyToAsync(b);
        var two = b.CopyToAsync(a);
        await Task.WhenAny(one, two);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static X509Certificate2 CreateCertificate(string subject, X509Certificate2? issuer, bool isAuthority)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isAuthority, false, 0, true));
        if (!isAuthority)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        }

        // An authority outlives what it signs: a leaf valid to "now + 1 day" taken a second after the authority's
        // "now" would end after it, which CertificateRequest.Create refuses.
        var now = DateTimeOffset.UtcNow;
        using var certificate = issuer is null
            ? request.CreateSelfSigned(now.AddDays(-1), now.AddDays(isAuthority ? 2 : 1))
            : request.Create(issuer, now.AddDays(-1), now.AddDays(1), [1, 2, 3, 4]).CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
}
