namespace TraceLink.Storage.Tsdb;

/// <summary>
/// A batch was rejected for data a retry cannot fix (out of order, too old, duplicate with a different
/// value, invalid histogram). Nothing of the batch was stored. The message names the first bad series.
/// </summary>
public sealed class TsdbAppendException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TsdbAppendException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TsdbAppendException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TsdbAppendException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
