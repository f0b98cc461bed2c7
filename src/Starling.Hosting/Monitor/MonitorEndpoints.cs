using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Starling.Broker;
using Starling.Broker.Routing;
using Starling.Mqtt;

namespace Starling.Hosting.Monitor;

/// <summary>The admin API (docs/monitor.md), as ASP.NET Core minimal APIs on the broker's Kestrel.</summary>
internal static class MonitorEndpoints
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app, MonitorServices monitor)
    {
        var broker = monitor.Broker;
        var api = app.MapGroup("/api/v1").WithTags("admin");
        api.MapGet("/health", () => Results.Ok(new { status = "ok" }));
        api.MapGet("/broker", () => Results.Ok(Info(monitor)));
        api.MapGet("/stats/stream", (HttpContext context) => StreamStatsAsync(context, monitor.Sampler));

        api.MapGet("/clients", (string? search, int? page, int? pageSize) =>
            Results.Ok(Page.Of(broker.Clients().Where(c => Matches(search, c.ClientId, c.Username)).OrderBy(c => c.ClientId, StringComparer.Ordinal).Select(ClientJson), page, pageSize)));
        api.MapGet("/clients/{clientId}", (string clientId) =>
            broker.Clients().FirstOrDefault(c => c.ClientId == clientId) is { } client
                ? Results.Ok(ClientJson(client) with { SubscriptionList = [.. broker.SubscriptionsOf(clientId).Select(SubscriptionJson)] })
                : Results.NotFound());
        api.MapDelete("/clients/{clientId}", (string clientId) => broker.Disconnect(clientId) ? Results.NoContent() : Results.NotFound());
        api.MapPost("/clients/{clientId}/subscriptions", (string clientId, SubscribeRequest request) =>
        {
            if (request.Filter is not { Length: > 0 } filter || !MqttTopic.IsValidTopicFilter(filter) || request.Qos is < 0 or > 2)
            {
                return Results.BadRequest(new { error = "a valid topic filter and a QoS of 0, 1 or 2 are needed" });
            }

            return broker.Subscribe(clientId, filter, (MqttQualityOfService)request.Qos)
                ? Results.Created($"/api/v1/subscriptions?clientId={Uri.EscapeDataString(clientId)}", SubscriptionJson(broker.SubscriptionsOf(clientId).First(s => s.Filter == filter)))
                : Results.NotFound();
        });
        api.MapDelete("/clients/{clientId}/subscriptions", (string clientId, string filter) => broker.Unsubscribe(clientId, filter) ? Results.NoContent() : Results.NotFound());

        api.MapGet("/sessions", (string? search, bool? online, int? page, int? pageSize) =>
            Results.Ok(Page.Of(broker.SessionSnapshots().Where(s => Matches(search, s.ClientId) && (online is null || s.Online == online)).OrderBy(s => s.ClientId, StringComparer.Ordinal)
                .Select(s => new SessionJson(s.ClientId, s.Online, s.ExpiryIntervalSeconds, s.Inflight, s.Queued, s.Subscriptions)), page, pageSize)));
        api.MapGet("/subscriptions", (string? search, string? clientId, int? page, int? pageSize) =>
            Results.Ok(Page.Of(broker.SubscriptionsOf(clientId).Where(s => Matches(search, s.ClientId, s.Filter)).OrderBy(s => s.ClientId, StringComparer.Ordinal).ThenBy(s => s.Filter, StringComparer.Ordinal).Select(SubscriptionJson), page, pageSize)));

        api.MapPost("/publish", (PublishRequest request) =>
        {
            if (request.Topic is not { Length: > 0 } topic || !MqttTopic.IsValidTopicName(topic) || request.Qos is < 0 or > 2)
            {
                return Results.BadRequest(new { error = "a valid topic name and a QoS of 0, 1 or 2 are needed" });
            }

            byte[] payload;
            try
            {
                payload = request.PayloadEncoding?.Equals("base64", StringComparison.OrdinalIgnoreCase) == true ? Convert.FromBase64String(request.Payload ?? "") : Encoding.UTF8.GetBytes(request.Payload ?? "");
            }
            catch (FormatException)
            {
                return Results.BadRequest(new { error = "the payload is not base64" });
            }

            broker.Publish(topic, payload, (MqttQualityOfService)request.Qos, request.Retain);
            return Results.Accepted();
        });

        api.MapGet("/retained", (string? search, int? page, int? pageSize) =>
            Results.Ok(Page.Of(Retained(broker).Where(m => Matches(search, m.Topic)).OrderBy(m => m.Topic, StringComparer.Ordinal).Select(m => new RetainedJson(m.Topic, m.Payload.Length, (int)m.QoS, Preview(m, monitor.Options))), page, pageSize)));
        api.MapGet("/retained/{**topic}", (string topic) =>
            RetainedAt(broker, topic) is { } m
                ? Results.Ok(new RetainedMessageJson(m.Topic, (int)m.QoS, m.Payload.Length, PayloadPreview.Format(m.Payload.Span, whole: true) == "binary" ? null : Encoding.UTF8.GetString(m.Payload.Span), Convert.ToBase64String(m.Payload.Span)))
                : Results.NotFound());
        api.MapDelete("/retained/{**topic}", (string topic) =>
        {
            if (RetainedAt(broker, topic) is null)
            {
                return Results.NotFound();
            }

            broker.Publish(topic, ReadOnlyMemory<byte>.Empty, MqttQualityOfService.AtMostOnce, retain: true); // an empty retained message deletes it [MQTT-3.3.1-10], journaled like any other
            return Results.NoContent();
        });

        api.MapGet("/topics", (string? path) =>
        {
            monitor.Observer.TreeWatched();
            return Results.Ok(monitor.Explorer.Children(path ?? ""));
        });
        api.MapGet("/trace/stream", (HttpContext context, string? clientId, string? filter) => StreamTraceAsync(context, monitor, clientId, filter));
    }

    private static BrokerInfo Info(MonitorServices monitor)
    {
        var broker = monitor.Broker;
        var metrics = broker.Metrics;
        var state = metrics.State;
        var sample = monitor.Sampler.Latest;
        return new BrokerInfo(
            SysTopics.Version,
            monitor.Sampler.StartedAt,
            (long)(DateTimeOffset.UtcNow - monitor.Sampler.StartedAt).TotalSeconds,
            state.Connections,
            state.SessionsOnline,
            state.SessionsOffline,
            state.Subscriptions,
            state.RetainedMessages,
            metrics.MessagesReceived,
            metrics.MessagesSent,
            metrics.BytesReceived,
            metrics.BytesSent,
            metrics.MessagesDropped,
            sample.MemoryBytes,
            sample.CpuPercent);
    }

    private static async Task StreamStatsAsync(HttpContext context, StatsSampler sampler)
    {
        var stream = sampler.Subscribe();
        try
        {
            await ServerSentEvents.StartAsync(context).ConfigureAwait(false);
            await foreach (var sample in stream.Reader.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
            {
                await ServerSentEvents.WriteAsync(context, "stats", JsonSerializer.Serialize(sample, Json)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the viewer went away
        }
        finally
        {
            sampler.Unsubscribe(stream);
        }
    }

    private static async Task StreamTraceAsync(HttpContext context, MonitorServices monitor, string? clientId, string? filter)
    {
        if (string.IsNullOrEmpty(clientId) == string.IsNullOrEmpty(filter) || (filter is { Length: > 0 } && !MqttTopic.IsValidTopicFilter(filter)))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new { error = "give either clientId or a valid topic filter" }).ConfigureAwait(false);
            return;
        }

        using var follower = monitor.Trace.Follow(string.IsNullOrEmpty(clientId) ? null : clientId, string.IsNullOrEmpty(filter) ? null : filter);
        monitor.Observer.Update();
        try
        {
            await ServerSentEvents.StartAsync(context).ConfigureAwait(false);
            await foreach (var packet in follower.Channel.Reader.ReadAllAsync(context.RequestAborted).ConfigureAwait(false))
            {
                await ServerSentEvents.WriteAsync(context, "packet", JsonSerializer.Serialize(packet, Json)).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // the viewer went away
        }
        finally
        {
            follower.Dispose();
            monitor.Observer.Update();
        }
    }

    private static bool Matches(string? search, params string?[] fields) =>
        string.IsNullOrEmpty(search) || fields.Any(f => f?.Contains(search, StringComparison.OrdinalIgnoreCase) == true);

    private static List<ApplicationMessage> Retained(MqttBroker broker)
    {
        var all = new List<ApplicationMessage>();
        broker.RetainedMessages.Match("#", all);
        broker.RetainedMessages.Match("$SYS/#", all); // "#" does not match $ topics [MQTT-4.7.2-1]
        return all;
    }

    private static ApplicationMessage? RetainedAt(MqttBroker broker, string topic)
    {
        if (!MqttTopic.IsValidTopicName(topic))
        {
            return null;
        }

        var found = new List<ApplicationMessage>();
        broker.RetainedMessages.Match(topic, found);
        return found.FirstOrDefault();
    }

    private static string Preview(ApplicationMessage message, MonitorOptions options) =>
        PayloadPreview.Text(message.Payload.Span[..Math.Min(message.Payload.Length, options.PayloadPreviewBytes)]);

    private static ClientJson ClientJson(Broker.Diagnostics.ClientSnapshot c) =>
        new(c.ClientId, c.Username, Version(c.ProtocolVersion), c.RemoteEndPoint?.ToString(), c.ListenerName, c.KeepAliveSeconds, c.ConnectedAt, c.Inflight, c.Queued, c.Subscriptions);

    private static SubscriptionJson SubscriptionJson(Subscription s) =>
        new(s.ClientId, s.Filter, (int)s.QoS, s.NoLocal, s.RetainAsPublished, s.RetainHandling, s.SubscriptionId);

    private static string Version(MqttProtocolVersion version) => version switch
    {
        MqttProtocolVersion.V310 => "3.1",
        MqttProtocolVersion.V311 => "3.1.1",
        MqttProtocolVersion.V500 => "5.0",
        _ => version.ToString(),
    };
}

internal sealed record BrokerInfo(string Version, DateTimeOffset StartedAt, long UptimeSeconds, int Connections, int SessionsOnline, int SessionsOffline, int Subscriptions, int Retained, long MessagesReceived, long MessagesSent, long BytesReceived, long BytesSent, long Dropped, long MemoryBytes, double CpuPercent);

internal sealed record ClientJson(string ClientId, string? Username, string ProtocolVersion, string? Address, string Listener, int KeepAliveSeconds, DateTimeOffset ConnectedAt, int Inflight, int Queued, int Subscriptions)
{
    public IReadOnlyList<SubscriptionJson>? SubscriptionList { get; init; }
}

internal sealed record SessionJson(string ClientId, bool Online, uint ExpiryIntervalSeconds, int Inflight, int Queued, int Subscriptions);

internal sealed record SubscriptionJson(string ClientId, string Filter, int Qos, bool NoLocal, bool RetainAsPublished, int RetainHandling, uint SubscriptionId);

internal sealed record RetainedJson(string Topic, int Size, int Qos, string Preview);

internal sealed record RetainedMessageJson(string Topic, int Qos, int Size, string? PayloadText, string PayloadBase64);

internal sealed record SubscribeRequest(string? Filter, int Qos);

internal sealed record PublishRequest(string? Topic, string? Payload, string? PayloadEncoding, int Qos, bool Retain);

/// <summary>One page of a list: <c>{ items, total, page, pageSize }</c>.</summary>
internal sealed record PageOf<T>(IReadOnlyList<T> Items, int Total, int Page, int PageSize);

internal static class Page
{
    public const int DefaultSize = 50;
    public const int MaximumSize = 500;

    public static PageOf<T> Of<T>(IEnumerable<T> all, int? page, int? pageSize)
    {
        int size = Math.Clamp(pageSize ?? DefaultSize, 1, MaximumSize);
        int number = Math.Max(1, page ?? 1);
        var list = all.ToList();
        return new PageOf<T>([.. list.Skip((number - 1) * size).Take(size)], list.Count, number, size);
    }
}

/// <summary>Server-sent events (text/event-stream), as the monitor's live views read them with EventSource.</summary>
internal static class ServerSentEvents
{
    public static async Task StartAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
        await context.Response.WriteAsync(": stream\n\n", context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    public static async Task WriteAsync(HttpContext context, string name, string data)
    {
        await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", context.RequestAborted).ConfigureAwait(false);
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
