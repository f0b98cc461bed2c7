using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Starling.Broker.Hooks;
using Starling.Mqtt;

namespace Starling.Examples.SubscribeAcl;

/// <summary>
/// Decides each topic filter of a SUBSCRIBE: denied filters fail with 0x80 (<see cref="MqttReasonCode.UnspecifiedError"/>,
/// the one failure code MQTT 3.1.1 knows, so both versions see 0x80 in SUBACK); the super user gets the QoS it asked
/// for; everyone else is capped at <see cref="SubscribeAclOptions.MaximumQoS"/>. The other filters of the same
/// SUBSCRIBE are decided on their own, so one refusal does not fail the rest.
/// </summary>
/// <remarks>
/// The hook trusts the user name from CONNECT: pair it with an authentication hook (see the PasswordAuth
/// example), registered before it, or anyone can claim to be "root".
/// </remarks>
public sealed partial class SubscribeAclHook : BrokerHook
{
    private readonly SubscribeAclOptions _options;
    private readonly ILogger _logger;

    /// <summary>Created by the host (AddStarlingHook&lt;SubscribeAclHook&gt;) or directly in tests.</summary>
    public SubscribeAclHook(IOptions<SubscribeAclOptions> options, ILogger<SubscribeAclHook> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    /// <inheritdoc />
    public override ValueTask<MqttReasonCode> OnSubscribeAsync(SubscribeContext context, CancellationToken cancellationToken)
    {
        // A shared subscription "$share/group/secret/a" receives the messages of "secret/a": judge the inner filter,
        // or the share prefix would be a way around the deny list.
        string filter = MqttTopic.TryParseShared(context.TopicFilter, out _, out var inner, out _) ? inner : context.TopicFilter;
        foreach (var denied in _options.DeniedFilters)
        {
            if (string.Equals(filter, denied, StringComparison.Ordinal) || MqttTopic.Matches(denied, filter))
            {
                Denied(_logger, context.Client.ClientId, context.TopicFilter, denied);
                return ValueTask.FromResult(MqttReasonCode.UnspecifiedError);
            }
        }

        if (string.Equals(context.Client.Username, _options.SuperUser, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(context.Result); // whatever the broker would grant
        }

        // context.Result is the QoS the broker would grant (GrantedQoS0..2 are the values 0..2): lower it, never raise it.
        var capped = (MqttReasonCode)Math.Min((int)context.Result, _options.MaximumQoS);
        return ValueTask.FromResult(capped);
    }

    [LoggerMessage(1, LogLevel.Information, "Refused subscription of client {ClientId} to '{TopicFilter}' (denied filter '{Denied}').")]
    private static partial void Denied(ILogger logger, string clientId, string topicFilter, string denied);
}
