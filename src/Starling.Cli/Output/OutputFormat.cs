namespace Starling.Cli.Output;

/// <summary>How <c>starling sub</c> prints a message.</summary>
public enum OutputFormat
{
    /// <summary>The payload only, one message per line.</summary>
    Payload,

    /// <summary>The topic, a space, then the payload.</summary>
    Topic,

    /// <summary>One JSON object per line: topic, qos, retain, properties, payload (text or base64).</summary>
    Json,
}
