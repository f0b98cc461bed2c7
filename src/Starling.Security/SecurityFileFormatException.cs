namespace Starling.Security;

/// <summary>A password or ACL file that cannot be read; the message names the file and the line.</summary>
public sealed class SecurityFileFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    public SecurityFileFormatException(string? fileName, int lineNumber, string reason)
        : base($"{fileName ?? "(text)"}:{lineNumber}: {reason}")
    {
        FileName = fileName;
        LineNumber = lineNumber;
        Reason = reason;
    }

    /// <summary>The file, or null when parsing text.</summary>
    public string? FileName { get; }

    /// <summary>The 1-based line number.</summary>
    public int LineNumber { get; }

    /// <summary>What is wrong, without the file and line.</summary>
    public string Reason { get; }
}
