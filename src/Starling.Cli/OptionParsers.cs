using System.CommandLine;
using System.CommandLine.Parsing;
using Starling.Mqtt;

namespace Starling.Cli;

/// <summary>Parsers and validators shared by the commands' options.</summary>
internal static class OptionParsers
{
    /// <summary>-V: the protocol version; null when not given (callers use 3.1.1).</summary>
    public static Option<MqttProtocolVersion?> ProtocolVersion(string description = "MQTT version: 3.1, 3.1.1 or 5 (also mqttv31, mqttv311, mqttv5). Default 3.1.1.") => new("--protocol-version", "-V")
    {
        Description = description,
        HelpName = "3.1|3.1.1|5",
        CustomParser = result => ParseVersion(result),
    };

    /// <summary>-q: the QoS; null when not given (callers use 0).</summary>
    public static Option<MqttQualityOfService?> QoS(string description) => new("--qos", "-q")
    {
        Description = description + " Default 0.",
        HelpName = "0|1|2",
        CustomParser = result => ParseQoS(result, result.Tokens[0].Value),
    };

    public static MqttProtocolVersion ParseVersion(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "3.1.1";
        switch (text.ToLowerInvariant())
        {
            case "3.1" or "31" or "mqttv31" or "3":
                return MqttProtocolVersion.V310;
            case "3.1.1" or "311" or "mqttv311" or "4":
                return MqttProtocolVersion.V311;
            case "5" or "5.0" or "mqttv5" or "mqttv50":
                return MqttProtocolVersion.V500;
            default:
                result.AddError($"'{text}' is not an MQTT version: use 3.1, 3.1.1 or 5.");
                return MqttProtocolVersion.V311;
        }
    }

    public static MqttQualityOfService ParseQoS(ArgumentResult result, string text)
    {
        if (text is "0" or "1" or "2")
        {
            return (MqttQualityOfService)(text[0] - '0');
        }

        result.AddError($"'{text}' is not a QoS: use 0, 1 or 2.");
        return MqttQualityOfService.AtMostOnce;
    }

    /// <summary>Adds a validator that rejects values below <paramref name="minimum"/> or above <paramref name="maximum"/>.</summary>
    public static Option<T> InRange<T>(this Option<T> option, T minimum, T maximum)
        where T : struct, IComparable<T>
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0)
            {
                return;
            }

            var value = result.GetValueOrDefault<T>();
            if (value.CompareTo(minimum) < 0 || value.CompareTo(maximum) > 0)
            {
                result.AddError($"{option.Name} must be between {minimum} and {maximum}, not {value}.");
            }
        });
        return option;
    }

    /// <summary>Same for nullable options.</summary>
    public static Option<T?> InRange<T>(this Option<T?> option, T minimum, T maximum)
        where T : struct, IComparable<T>
    {
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count == 0 || result.GetValueOrDefault<T?>() is not { } value)
            {
                return;
            }

            if (value.CompareTo(minimum) < 0 || value.CompareTo(maximum) > 0)
            {
                result.AddError($"{option.Name} must be between {minimum} and {maximum}, not {value}.");
            }
        });
        return option;
    }

    /// <summary>Splits NAME=VALUE (user properties).</summary>
    public static List<MqttUserProperty> ParseUserProperties(ArgumentResult result)
    {
        var list = new List<MqttUserProperty>();
        foreach (var token in result.Tokens)
        {
            var equals = token.Value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                result.AddError($"user property '{token.Value}' is not NAME=VALUE.");
                continue;
            }

            list.Add(new MqttUserProperty(token.Value[..equals], token.Value[(equals + 1)..]));
        }

        return list;
    }
}

/// <summary>Reading option values inside command validators, where an option may itself have failed to parse.</summary>
internal static class CommandResultExtensions
{
    /// <summary>The option's value, or default when it did not parse (its own error is reported already).</summary>
    public static T? Value<T>(this CommandResult result, Option<T> option)
    {
        try
        {
            return result.GetValue(option);
        }
        catch (InvalidOperationException)
        {
            return default;
        }
    }
}
