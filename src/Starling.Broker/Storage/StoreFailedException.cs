namespace Starling.Broker.Storage;

/// <summary>
/// A durable backend could not commit (a full disk, a lost connection): what waits for it is not durable and must
/// not be acknowledged as if it were (5.0: PUBACK/PUBREC 0x97 or 0x80; 3.1.1: the connection closes).
/// </summary>
public sealed class StoreFailedException : Exception
{
    /// <summary>The store is out of space (5.0 answers 0x97 Quota exceeded; other failures 0x80).</summary>
    public bool IsFull { get; init; }

    public StoreFailedException()
        : base("The store could not commit.")
    {
    }

    public StoreFailedException(string message)
        : base(message)
    {
    }

    public StoreFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
