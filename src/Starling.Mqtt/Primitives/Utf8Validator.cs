using System.Buffers;

namespace Starling.Mqtt.Primitives;

/// <summary>
/// Checks UTF-8 Encoded Strings: well formed [MQTT-1.5.3-1] (no surrogates, no overlong forms) and without
/// U+0000 [MQTT-1.5.3-2]. Allocates nothing, also when the bytes span several segments.
/// </summary>
internal static class Utf8Validator
{
    /// <summary>True when <paramref name="bytes"/> is well-formed UTF-8 holding no U+0000.</summary>
    public static bool IsValid(ReadOnlySpan<byte> bytes)
        => bytes.IndexOf((byte)0) < 0 && System.Text.Unicode.Utf8.IsValid(bytes);

    /// <summary>True when <paramref name="bytes"/> is well-formed UTF-8 holding no U+0000.</summary>
    public static bool IsValid(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return IsValid(bytes.FirstSpan);
        }

        // A code point may straddle segments: run a small state machine byte by byte.
        int pending = 0;
        int codePoint = 0;
        int minimum = 0;
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            foreach (byte b in segment.Span)
            {
                if (pending == 0)
                {
                    if (b < 0x80)
                    {
                        if (b == 0)
                        {
                            return false;
                        }

                        continue;
                    }

                    if (b is >= 0xC2 and <= 0xDF)
                    {
                        pending = 1;
                        codePoint = b & 0x1F;
                        minimum = 0x80;
                    }
                    else if (b is >= 0xE0 and <= 0xEF)
                    {
                        pending = 2;
                        codePoint = b & 0x0F;
                        minimum = 0x800;
                    }
                    else if (b is >= 0xF0 and <= 0xF4)
                    {
                        pending = 3;
                        codePoint = b & 0x07;
                        minimum = 0x10000;
                    }
                    else
                    {
                        return false;
                    }
                }
                else
                {
                    if ((b & 0xC0) != 0x80)
                    {
                        return false;
                    }

                    codePoint = (codePoint << 6) | (b & 0x3F);
                    if (--pending == 0 && (codePoint < minimum || codePoint > 0x10FFFF || codePoint is >= 0xD800 and <= 0xDFFF))
                    {
                        return false;
                    }
                }
            }
        }

        return pending == 0;
    }

    /// <summary>True when the UTF-8 bytes hold '+' or '#'.</summary>
    public static bool HasWildcard(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            return bytes.FirstSpan.IndexOfAny((byte)'+', (byte)'#') >= 0;
        }

        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            if (segment.Span.IndexOfAny((byte)'+', (byte)'#') >= 0)
            {
                return true;
            }
        }

        return false;
    }
}
