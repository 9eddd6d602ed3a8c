namespace TraceLink.Sensor;

/// <summary>The sensor cannot start; the message is one line meant for the operator.</summary>
public sealed class SensorException : Exception
{
    /// <summary>Creates the exception with a one-line reason.</summary>
    public SensorException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a one-line reason and its cause.</summary>
    public SensorException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public SensorException()
    {
    }
}
