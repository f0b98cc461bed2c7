using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker.Hooks;
using Starling.Mqtt;

namespace Starling.Examples.PublishFilter;

/// <summary>
/// Filters PUBLISH packets from clients, showing the two ways to refuse one:
/// <list type="bullet">
/// <item>a subscribe-only user who publishes is disconnected (<see cref="PublishContext.CloseClient"/>): the message
/// is neither acknowledged nor delivered;</item>
/// <item>a QoS 2 message is acknowledged but dropped (return false): the QoS 2 flow PUBREC, PUBREL, PUBCOMP still
/// completes, so the publisher believes it was delivered, but no subscriber receives it.</item>
/// </list>
/// QoS 0 and QoS 1 messages from the other users are delivered as usual.
/// </summary>
public sealed partial class PublishFilterHook : BrokerHook
{
    private readonly HashSet<string> _subscribeOnlyUsers;
    private readonly ILogger _logger;

    /// <summary>Created by the host (AddStarlingHook&lt;PublishFilterHook&gt;) or directly in tests.</summary>
    public PublishFilterHook(IOptions<PublishFilterOptions> options, ILogger<PublishFilterHook> logger)
    {
        _subscribeOnlyUsers = new HashSet<string>(options.Value.SubscribeOnlyUsers, StringComparer.Ordinal);
        _logger = logger;
    }

    /// <inheritdoc />
    public override ValueTask<bool> OnPublishAsync(PublishContext context, CancellationToken cancellationToken)
    {
        if (context.Client.Username is { } username && _subscribeOnlyUsers.Contains(username))
        {
            // Close the connection: no PUBACK/PUBREC is sent and the message goes nowhere.
            // 5.0 clients first get DISCONNECT with RefusalReasonCode (0x87 Not authorized).
            PublisherClosed(_logger, context.Client.ClientId, username, context.Topic);
            context.CloseClient = true;
            return ValueTask.FromResult(false);
        }

        if (context.Message.QoS == MqttQualityOfService.ExactlyOnce)
        {
            // Drop silently. 3.1.1 acknowledgements carry no reason, so a 3.1.1 publisher always sees success;
            // a 5.0 publisher is told RefusalReasonCode in PUBREC. Setting it to Success keeps the drop silent for
            // 5.0 too, and the flow goes on to PUBREL/PUBCOMP. (Leave the default 0x87 Not authorized to tell the
            // publisher instead; a failure code in PUBREC ends the QoS 2 flow there.)
            QoS2Dropped(_logger, context.Client.ClientId, context.Topic);
            context.RefusalReasonCode = MqttReasonCode.Success;
            return ValueTask.FromResult(false);
        }

        return ValueTask.FromResult(true);
    }

    [LoggerMessage(1, LogLevel.Warning, "Closing client {ClientId}: user '{Username}' may not publish (topic '{Topic}').")]
    private static partial void PublisherClosed(ILogger logger, string clientId, string username, string topic);

    [LoggerMessage(2, LogLevel.Information, "Dropped a QoS 2 message from client {ClientId} on '{Topic}'.")]
    private static partial void QoS2Dropped(ILogger logger, string clientId, string topic);
}
