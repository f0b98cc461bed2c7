using System.Diagnostics;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Starling.Examples.Tests;

/// <summary>MQTTnet and mosquitto client helpers with short timeouts.</summary>
internal static class Mqtt
{
    /// <summary>The longest any single wait in these tests may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a test waits to conclude that a message is not coming.</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromSeconds(1);

    public static IMqttClient NewClient() => new MqttClientFactory().CreateMqttClient();

    public static MqttClientOptionsBuilder Options(int port, MqttProtocolVersion version, string? username = null, string? password = null)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(version)
            .WithClientId("test-" + Guid.NewGuid().ToString("N")[..12])
            .WithCleanSession()
            .WithTimeout(Timeout);
        if (username is not null)
        {
            builder = builder.WithCredentials(username, password);
        }

        return builder;
    }

    public static async Task<IMqttClient> ConnectAsync(int port, MqttProtocolVersion version, string? username = null, string? password = null)
    {
        var client = NewClient();
        using var cts = new CancellationTokenSource(Timeout);
        var result = await client.ConnectAsync(Options(port, version, username, password).Build(), cts.Token);
        Assert.Equal(MqttClientConnectResultCode.Success, result.ResultCode);
        return client;
    }

    public static async Task<MqttClientSubscribeResult> SubscribeAsync(IMqttClient client, params (string Filter, MqttQualityOfServiceLevel QoS)[] filters)
    {
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var (filter, qos) in filters)
        {
            builder = builder.WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(qos));
        }

        using var cts = new CancellationTokenSource(Timeout);
        return await client.SubscribeAsync(builder.Build(), cts.Token);
    }

    public static async Task<MqttClientPublishResult> PublishAsync(IMqttClient client, string topic, string payload, MqttQualityOfServiceLevel qos, bool retain = false)
    {
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).WithRetainFlag(retain).Build();
        using var cts = new CancellationTokenSource(Timeout);
        return await client.PublishAsync(message, cts.Token);
    }

    /// <summary>Runs a mosquitto client to completion (killed after <see cref="Timeout"/>).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/" + program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not exit within {Timeout.TotalSeconds} s.");
        }

        return (process.ExitCode, await output, await error);
    }
}

/// <summary>Collects the messages a client receives.</summary>
internal sealed class Inbox
{
    private readonly Channel<MqttApplicationMessage> _messages = Channel.CreateUnbounded<MqttApplicationMessage>();

    public Inbox(IMqttClient client)
    {
        client.ApplicationMessageReceivedAsync += e =>
        {
            _messages.Writer.TryWrite(e.ApplicationMessage);
            return Task.CompletedTask;
        };
    }

    /// <summary>The next message, failing after <see cref="Mqtt.Timeout"/>.</summary>
    public async Task<MqttApplicationMessage> NextAsync()
    {
        using var cts = new CancellationTokenSource(Mqtt.Timeout);
        return await _messages.Reader.ReadAsync(cts.Token);
    }

    /// <summary>Asserts nothing (more) arrives within <see cref="Mqtt.Silence"/>.</summary>
    public async Task AssertEmptyAsync()
    {
        await Task.Delay(Mqtt.Silence);
        if (_messages.Reader.TryRead(out var message))
        {
            Assert.Fail($"Unexpected message on '{message.Topic}': {message.ConvertPayloadToString()}");
        }
    }
}
