using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using Starling.Broker.Hooks;
using Starling.Interop.Tests.Infrastructure;
using Starling.Mqtt;
using Starling.Mqtt.Packets;

namespace Starling.Interop.Tests.Listeners;

/// <summary>The certificates, made once per test class.</summary>
public sealed class CertificatesFixture : IDisposable
{
    public TestCertificates Certificates { get; } = TestCertificates.Create();

    public void Dispose() => Certificates.Dispose();
}

/// <summary>Command-line settings that declare listeners, as an operator would.</summary>
public static class Listener
{
    public static string[] Declare(string name, string type, params string[] settings) =>
        [$"--Starling:Listeners:{name}:Type={type}", $"--Starling:Listeners:{name}:Port=0", .. settings.Select(s => $"--Starling:Listeners:{name}:{s}")];

    public static string[] Tls(string name, TestCertificates certificates, string type = "tls", params string[] settings) =>
        Declare(name, type, [$"Certificate:Path={certificates.ServerCertificatePath}", $"Certificate:KeyPath={certificates.ServerKeyPath}", $"ClientCaPath={certificates.CaPath}", .. settings]);

    /// <summary>Waits until the broker holds at least <paramref name="count"/> subscriptions.</summary>
    public static async Task WaitForSubscriptionsAsync(BrokerFixture broker, int count)
    {
        for (int i = 0; i < 500 && broker.Broker.SubscriptionCount < count; i++)
        {
            await Task.Delay(20);
        }

        Assert.True(broker.Broker.SubscriptionCount >= count, $"only {broker.Broker.SubscriptionCount} subscriptions");
    }

    /// <summary>mosquitto_pub/_sub arguments for the TLS listener on <paramref name="port"/>.</summary>
    public static string[] MosquittoTls(int port, TestCertificates certificates, bool goodCertificate = true, bool badCertificate = false)
    {
        List<string> arguments = ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--cafile", certificates.CaPath];
        if (goodCertificate)
        {
            arguments.AddRange(["--cert", certificates.ClientCertificatePath, "--key", certificates.ClientKeyPath]);
        }
        else if (badCertificate)
        {
            arguments.AddRange(["--cert", certificates.BadClientCertificatePath, "--key", certificates.BadClientKeyPath]);
        }

        return [.. arguments];
    }

    /// <summary>Runs tests/js/ws-client.mjs (MQTT.js): subscribe, publish, print what comes back.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> MqttJsRoundTripAsync(string url, string topic, string message, params string[] extra)
    {
        string root = Repository.Root;
        Assert.True(Directory.Exists(Path.Combine(root, "tests", "js", "node_modules", "mqtt")), "MQTT.js is not installed: run npm ci --prefix tests/js (scripts/test.sh does)");
        var info = new ProcessStartInfo("node") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[Path.Combine("tests", "js", "ws-client.mjs"), "--url", url, "--topic", topic, "--message", message, .. extra])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return (process.ExitCode, (await output).Trim(), await error);
    }
}

/// <summary>Records who connected through which listener, with the user name the broker saw.</summary>
public sealed class ConnectRecorder : BrokerHook
{
    public ConcurrentQueue<(string ClientId, string Listener, string? Username)> Connects { get; } = new();

    public override ValueTask<MqttReasonCode> OnConnectAsync(ConnectContext context, CancellationToken cancellationToken)
    {
        Connects.Enqueue((context.Client.ClientId, context.Client.ListenerName, context.Client.Username));
        return ValueTask.FromResult(MqttReasonCode.Success);
    }
}

/// <summary>A bare WebSocket client sending MQTT bytes exactly as a test splits them into frames.</summary>
public sealed class RawWebSocketClient : IAsyncDisposable
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    private RawWebSocketClient(ClientWebSocket socket) => Socket = socket;

    public ClientWebSocket Socket { get; }

    public static async Task<RawWebSocketClient> ConnectAsync(int port, string subprotocol = "mqtt")
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(subprotocol);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/mqtt"), cts.Token);
        return new RawWebSocketClient(socket);
    }

    public static byte[] Encode(MqttPacket packet, MqttProtocolVersion version = MqttProtocolVersion.V311)
    {
        var writer = new ArrayBufferWriter<byte>();
        MqttPacketWriter.Write(packet, version, writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Sends <paramref name="bytes"/> as one binary frame; with <paramref name="endOfMessage"/> false it is a fragment of a larger message.</summary>
    public Task SendFrameAsync(ReadOnlyMemory<byte> bytes, bool endOfMessage = true) =>
        Socket.SendAsync(bytes, WebSocketMessageType.Binary, endOfMessage, CancellationToken.None).AsTask();

    /// <summary>The next packet, or null when the broker closed the WebSocket.</summary>
    public async Task<MqttPacket?> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var sequence = new ReadOnlySequence<byte>(_buffer, 0, _filled);
            if (MqttPacketReader.TryRead(ref sequence, MqttProtocolVersion.V311, 268_435_460, out var packet))
            {
                int consumed = _filled - (int)sequence.Length;
                _buffer.AsSpan(consumed, _filled - consumed).CopyTo(_buffer);
                _filled -= consumed;
                return packet;
            }

            var result = await Socket.ReceiveAsync(_buffer.AsMemory(_filled), cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            Assert.Equal(WebSocketMessageType.Binary, result.MessageType);
            _filled += result.Count;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
            catch (Exception)
            {
                // best effort
            }
        }

        Socket.Dispose();
    }
}
