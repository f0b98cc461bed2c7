using System.Text;
using Starling.Broker.Hooks;
using Starling.Mqtt;

namespace Starling.Examples.WebApp;

/// <summary>
/// A hook created by DI like any other service of the app: it gets the app's <see cref="LatestReadings"/> in its
/// constructor and records every message published under sensors/, which the app's own GET /readings then shows.
/// </summary>
public sealed class RecordReadingsHook(LatestReadings readings) : BrokerHook
{
    /// <inheritdoc />
    public override ValueTask<bool> OnPublishAsync(PublishContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (MqttTopic.Matches("sensors/#", context.Topic))
        {
            readings.Record(context.Topic, Encoding.UTF8.GetString(context.Message.Payload.Span));
        }

        return ValueTask.FromResult(true); // recorded, and delivered as usual
    }
}
