using System.Text;
using System.Text.Json;

namespace Starling.Hosting.Monitor;

/// <summary>How the monitor shows a payload: as text when it is UTF-8 (and says when that text is JSON), else as hex.</summary>
internal static class PayloadPreview
{
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

    /// <summary>Whether the bytes are UTF-8; a preview cut inside a character still counts (checked without exceptions: a monitor watching binary traffic decides this per message).</summary>
    private static bool IsUtf8(ReadOnlySpan<byte> payload)
    {
        for (int cut = 0; cut <= 3 && cut <= payload.Length; cut++)
        {
            if (System.Text.Unicode.Utf8.IsValid(payload[..^cut]))
            {
                return true;
            }
        }

        return false;
    }
}
