using System.Text;
using System.Text.Json;

namespace Starling.Hosting.Monitor;

/// <summary>How the monitor shows a payload: as text when it is UTF-8 (and says when that text is JSON), else as hex.</summary>
internal static class PayloadPreview
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>"text", "json" or "binary".</summary>
    public static string Format(ReadOnlySpan<byte> payload, bool whole)
    {
        if (!IsUtf8(payload))
        {
            return "binary";
        }

        if (whole && payload.Length > 0 && (payload[0] == (byte)'{' || payload[0] == (byte)'['))
        {
            try
            {
                var reader = new Utf8JsonReader(payload);
                if (JsonDocument.TryParseValue(ref reader, out var document))
                {
                    document.Dispose();
                    return "json";
                }
            }
            catch (JsonException)
            {
            }
        }

        return "text";
    }

    /// <summary>The text of a UTF-8 payload, else its bytes in hex.</summary>
    public static string Text(ReadOnlySpan<byte> payload) => IsUtf8(payload) ? Encoding.UTF8.GetString(payload) : Convert.ToHexString(payload);

    /// <summary>Whether the bytes are UTF-8; a preview cut inside a character still counts.</summary>
    private static bool IsUtf8(ReadOnlySpan<byte> payload)
    {
        try
        {
            StrictUtf8.GetCharCount(payload);
            return true;
        }
        catch (DecoderFallbackException)
        {
            // A cut preview may end inside a character: the last 3 bytes are allowed to be incomplete.
            for (int cut = 1; cut <= 3 && cut < payload.Length; cut++)
            {
                try
                {
                    StrictUtf8.GetCharCount(payload[..^cut]);
                    return true;
                }
                catch (DecoderFallbackException)
                {
                }
            }

            return false;
        }
    }
}
