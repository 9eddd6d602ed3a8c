namespace TraceLink.Sensor.Http;

/// <summary>One parsed HTTP/1.x request or response with its stream position and timing.</summary>
internal sealed class HttpMessage
{
    private readonly List<KeyValuePair<string, string>> _headers = new(16);

    /// <summary>True for a request, false for a response.</summary>
    public bool IsRequest { get; set; }

    /// <summary>Request method (requests only).</summary>
    public string Method { get; set; } = "";

    /// <summary>Request target as sent (requests only).</summary>
    public string Target { get; set; } = "";

    /// <summary>Status code (responses only).</summary>
    public int StatusCode { get; set; }

    /// <summary>Minor version of HTTP/1.x.</summary>
    public int MinorVersion { get; set; } = 1;

    /// <summary>Header fields in arrival order, names lower-cased, at most <see cref="HttpParserLimits.MaxHeaders"/>.</summary>
    public List<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>Set when header fields beyond the limit were dropped.</summary>
    public bool HeadersTruncated { get; set; }

    /// <summary>Captured body bytes (at most <see cref="HttpParserLimits.MaxBodyBytes"/>): the first <see cref="BodyCaptured"/> are valid; null or unused when none.</summary>
    public byte[]? Body { get; set; }

    /// <summary>How many bytes of <see cref="Body"/> are valid.</summary>
    public int BodyCaptured { get; set; }

    /// <summary>Body length on the wire (decoded length for chunked bodies).</summary>
    public long BodySize { get; set; }

    /// <summary>True when body bytes were lost (not captured by the sensor or cut by a framing error).</summary>
    public bool Truncated { get; set; }

    /// <summary>True when the body used chunked transfer coding.</summary>
    public bool Chunked { get; set; }

    /// <summary>TCP sequence of the first byte of the message.</summary>
    public uint StartSeq { get; set; }

    /// <summary>Unix time (ns) of the first byte.</summary>
    public ulong StartTs { get; set; }

    /// <summary>Unix time (ns) of the last byte.</summary>
    public ulong EndTs { get; set; }

    /// <summary>Thread that moved the first byte.</summary>
    public uint Tid { get; set; }

    /// <summary>Syscall trace id of the call that moved the first byte.</summary>
    public ulong SyscallTraceId { get; set; }

    /// <summary>Clears every field for reuse; keeps the header list's and the body buffer's capacity.</summary>
    public void Reset()
    {
        IsRequest = false;
        Method = "";
        Target = "";
        StatusCode = 0;
        MinorVersion = 1;
        _headers.Clear();
        HeadersTruncated = false;
        BodyCaptured = 0;
        BodySize = 0;
        Truncated = false;
        Chunked = false;
        StartSeq = 0;
        StartTs = 0;
        EndTs = 0;
        Tid = 0;
        SyscallTraceId = 0;
    }

    /// <summary>Returns the first value of a header (name in lower case), or null.</summary>
    public string? GetHeader(string lowerCaseName)
    {
        foreach (var header in _headers)
        {
            if (string.Equals(header.Key, lowerCaseName, StringComparison.Ordinal))
            {
                return header.Value;
            }
        }

        return null;
    }
}
