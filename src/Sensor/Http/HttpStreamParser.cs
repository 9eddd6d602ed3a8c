using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace TraceLink.Sensor.Http;

/// <summary>
/// Incremental HTTP/1.x parser for one direction of one TCP connection, in the Kestrel style:
/// a fast path parses a header section found whole in one segment, a slow path buffers a
/// fragmented one (bounded). Bad input never throws: the parser counts it and resynchronises
/// at the start of the next segment, where the next message most likely begins.
/// </summary>
internal sealed class HttpStreamParser
{
    private const int MaxChunkLine = 4096;
    private const int MaxTrailerBytes = 16 * 1024;
    private const int MaxMethodLength = 20;
    private static readonly SearchValues<byte> TokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private static readonly string[] KnownHeaderNames =
    [
        "host", "user-agent", "accept", "accept-encoding", "accept-language", "connection", "content-type", "content-length",
        "transfer-encoding", "date", "server", "cache-control", "traceparent", "tracestate", "x-request-id", "authorization",
        "cookie", "set-cookie", "keep-alive", "last-modified", "etag", "location", "vary", "x-forwarded-for", "x-real-ip",
    ];

    private readonly HttpParserLimits _limits;
    private readonly IHttpMessageSink _sink;
    private readonly HttpMessagePool? _pool;

    // The previous message's header strings and request target: a keep-alive connection repeats most of them, and
    // an equal value reuses the string instead of allocating a new one.
    private readonly List<KeyValuePair<string, string>> _previousHeaders = [];
    private string _previousTarget = "";
    private State _state;
    private byte[]? _head;
    private int _headLength;
    private HttpMessage? _message;
    private long _remaining;
    private bool _chunkSawDigit;
    private bool _chunkSizeDone;
    private int _lineLength;
    private int _trailerBytes;

    public HttpStreamParser(HttpParserLimits limits, IHttpMessageSink sink, HttpMessagePool? pool = null)
    {
        _limits = limits;
        _sink = sink;
        _pool = pool;
    }

    private enum State
    {
        Start,
        Head,
        BodyLength,
        ChunkLine,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        BodyUntilClose,
        Upgraded,
    }

    /// <summary>Messages that started like HTTP and then broke the grammar or a limit.</summary>
    public long Malformed { get; private set; }

    /// <summary>Segments whose first bytes were not HTTP at all (TLS, other protocols, garbage).</summary>
    public long NotHttp { get; private set; }

    /// <summary>Bytes held by this parser (the partial header buffer).</summary>
    public int BufferedBytes => _head?.Length ?? 0;

    /// <summary>Parses the bytes of one captured segment; <paramref name="data"/> starts a new syscall.</summary>
    public void Feed(ReadOnlySpan<byte> data, in SegmentInfo segment)
    {
        int offset = 0;
        while (offset < data.Length)
        {
            int used = _state switch
            {
                State.Start => StartMessage(data[offset..], segment, offset),
                State.Head => ContinueHead(data[offset..], segment),
                State.BodyLength => ConsumeLengthBody(data[offset..], segment),
                State.ChunkLine => ConsumeChunkLine(data[offset..], segment),
                State.ChunkData => ConsumeChunkData(data[offset..], segment),
                State.ChunkDataEnd => ConsumeChunkDataEnd(data[offset..], segment),
                State.Trailers => ConsumeTrailers(data[offset..], segment),
                State.BodyUntilClose => ConsumeUntilClose(data[offset..]),
                _ => data.Length - offset,
            };
            if (used < 0)
            {
                // resynchronise: drop the rest of this segment, the next one starts fresh
                return;
            }

            offset += used;
        }
    }

    /// <summary>Accounts for <paramref name="length"/> bytes the sensor moved but did not capture.</summary>
    public void Skip(long length, in SegmentInfo segment)
    {
        if (length <= 0)
        {
            return;
        }

        switch (_state)
        {
            case State.BodyLength:
            case State.ChunkData:
                long n = Math.Min(length, _remaining);
                _remaining -= n;
                _message!.BodySize += n;
                _message.Truncated = true;
                _message.EndTs = segment.EndTs;
                if (_remaining == 0)
                {
                    if (_state == State.BodyLength)
                    {
                        Complete();
                    }
                    else
                    {
                        _state = State.ChunkDataEnd;
                    }
                }

                if (length > n)
                {
                    // the lost bytes carried framing we cannot reconstruct
                    Abandon(truncate: true);
                }

                break;
            case State.BodyUntilClose:
                _message!.BodySize += length;
                _message.Truncated = true;
                _message.EndTs = segment.EndTs;
                break;
            case State.Start:
            case State.Upgraded:
                break;
            default:
                Abandon(truncate: true);
                break;
        }
    }

    /// <summary>The stream ended (socket closed): completes a body delimited by the close.</summary>
    public void Close(ulong timestamp)
    {
        if (_state == State.BodyUntilClose && _message is not null)
        {
            _message.EndTs = Math.Max(_message.EndTs, timestamp);
            Complete();
        }
        else if (_message is not null && _state != State.Start)
        {
            Abandon(truncate: true);
        }

        ReturnHead();
        _state = State.Start;
    }

    private int StartMessage(ReadOnlySpan<byte> data, in SegmentInfo segment, int offsetInSegment)
    {
        if (!LooksLikeHttpStart(data))
        {
            NotHttp++;
            return -1;
        }

        _message = _pool?.Rent() ?? new HttpMessage();
        _message.StartSeq = unchecked(segment.Seq + (uint)offsetInSegment);
        _message.StartTs = segment.StartTs;
        _message.EndTs = segment.EndTs;
        _message.Tid = segment.Tid;
        _message.SyscallTraceId = segment.SyscallTraceId;
        _headLength = 0;

        // fast path: the whole header section is in this segment
        int end = data.IndexOf("\r\n\r\n"u8);
        if (end >= 0 && end + 4 <= _limits.MaxHeadBytes)
        {
            return FinishHead(data[..(end + 4)], segment) ? end + 4 : Fail();
        }

        _state = State.Head;
        return ContinueHead(data, segment);
    }

    private int ContinueHead(ReadOnlySpan<byte> data, in SegmentInfo segment)
    {
        _head ??= ArrayPool<byte>.Shared.Rent(_limits.MaxHeadBytes);
        int before = _headLength;
        int room = _limits.MaxHeadBytes - before;
        int take = Math.Min(room, data.Length);
        data[..take].CopyTo(_head.AsSpan(before));
        _headLength += take;
        int searchFrom = Math.Max(0, before - 3);
        int end = _head.AsSpan(searchFrom, _headLength - searchFrom).IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            if (_headLength >= _limits.MaxHeadBytes || !LooksLikeHttpStart(_head.AsSpan(0, _headLength)))
            {
                return Fail();
            }

            return take;
        }

        int headLength = searchFrom + end + 4;
        _message!.EndTs = segment.EndTs;
        bool ok = FinishHead(_head.AsSpan(0, headLength), segment);
        ReturnHead();
        return ok ? headLength - before : Fail();
    }

    private bool FinishHead(ReadOnlySpan<byte> head, in SegmentInfo segment)
    {
        var message = _message!;
        message.EndTs = segment.EndTs;
        if (!ParseHead(head, message, _limits.MaxHeaders, out long contentLength, out bool chunked))
        {
            return false;
        }

        message.Chunked = chunked;
        if (!message.IsRequest && message.StatusCode is >= 100 and < 200)
        {
            if (message.StatusCode == 101)
            {
                // the protocol changes after this response; nothing that follows is HTTP/1.x
                _sink.OnMessage(message);
                _message = null;
                _state = State.Upgraded;
                return true;
            }

            // interim response (100 Continue): the final response follows
            _message = null;
            _state = State.Start;
            return true;
        }

        bool noBody = message.IsRequest
            ? !chunked && contentLength <= 0
            : message.StatusCode is 204 or 304 || _sink.NextResponseIsForHead() || (!chunked && contentLength == 0);
        if (noBody)
        {
            Complete();
        }
        else if (chunked)
        {
            BeginChunkLine();
        }
        else if (contentLength > 0)
        {
            _remaining = contentLength;
            _state = State.BodyLength;
        }
        else
        {
            // a response without length or chunking is delimited by the close of the connection
            _state = State.BodyUntilClose;
        }

        return true;
    }

    private int ConsumeLengthBody(ReadOnlySpan<byte> data, in SegmentInfo segment)
    {
        int n = (int)Math.Min(_remaining, data.Length);
        Capture(data[..n]);
        _remaining -= n;
        _message!.EndTs = segment.EndTs;
        if (_remaining == 0)
        {
            Complete();
        }

        return n;
    }

    private int ConsumeUntilClose(ReadOnlySpan<byte> data)
    {
        Capture(data);
        return data.Length;
    }

    private void BeginChunkLine()
    {
        _state = State.ChunkLine;
        _remaining = 0;
        _chunkSawDigit = false;
        _chunkSizeDone = false;
        _lineLength = 0;
    }

    private int ConsumeChunkLine(ReadOnlySpan<byte> data, in SegmentInfo segment)
    {
        for (int i = 0; i < data.Length; i++)
        {
            byte b = data[i];
            if (b == '\n')
            {
                if (!_chunkSawDigit)
                {
                    return Fail();
                }

                _message!.EndTs = segment.EndTs;
                if (_remaining == 0)
                {
                    _state = State.Trailers;
                    _lineLength = 0;
                    _trailerBytes = 0;
                }
                else
                {
                    _state = State.ChunkData;
                }

                return i + 1;
            }

            if (++_lineLength > MaxChunkLine)
            {
                return Fail();
            }

            if (_chunkSizeDone)
            {
                continue; // chunk extensions and the CR are ignored
            }

            int digit = HexValue(b);
            if (digit >= 0)
            {
                if (_remaining > (long.MaxValue >> 4))
                {
                    return Fail();
                }

                _remaining = (_remaining << 4) | (uint)digit;
                _chunkSawDigit = true;
            }
            else if (b is (byte)';' or (byte)'\r' or (byte)' ' or (byte)'\t' && _chunkSawDigit)
            {
                _chunkSizeDone = true;
            }
            else
            {
                return Fail();
            }
        }

        return data.Length;
    }

    private int ConsumeChunkData(ReadOnlySpan<byte> data, in SegmentInfo segment)
    {
        int n = (int)Math.Min(_remaining, data.Length);
        Capture(data[..n]);
        _remaining -= n;
        _message!.EndTs = segment.EndTs;
        if (_remaining == 0)
        {
            _state = State.ChunkDataEnd;
            _lineLength = 0;
        }

        return n;
    }

    private int ConsumeChunkDataEnd(ReadOnlySpan<byte> data, in SegmentInfo segment)
    {
        byte b = data[0];
        if (b == '\r' && _lineLength == 0)
        {
            _lineLength = 1;
            return 1;
        }

        if (b != '\n')
        {
            return Fail();
        }

        _message!.EndTs = segment.EndTs;
        BeginChunkLine();
        return 1;
    }

    private int ConsumeTrailers(ReadOnlySpan<byte> data, in SegmentInfo segment)
    {
        for (int i = 0; i < data.Length; i++)
        {
            byte b = data[i];
            if (++_trailerBytes > MaxTrailerBytes)
            {
                return Fail();
            }

            if (b == '\n')
            {
                if (_lineLength == 0)
                {
                    _message!.EndTs = segment.EndTs;
                    Complete();
                    return i + 1;
                }

                _lineLength = 0;
            }
            else if (b != '\r')
            {
                _lineLength++;
            }
        }

        return data.Length;
    }

    private void Capture(ReadOnlySpan<byte> data)
    {
        var message = _message!;
        message.BodySize += data.Length;
        int room = _limits.MaxBodyBytes - message.BodyCaptured;
        if (room <= 0 || data.IsEmpty)
        {
            return;
        }

        int n = Math.Min(room, data.Length);
        int needed = message.BodyCaptured + n;
        if (message.Body is null || message.Body.Length < needed)
        {
            // sized to what the message announces (most bodies are far below the limit), else grown by doubling
            long hint = _state == State.BodyLength ? message.BodyCaptured + _remaining : needed;
            int size = (int)Math.Min(_limits.MaxBodyBytes, Math.Max(hint, Math.Max(needed, (message.Body?.Length ?? 0) * 2L)));
            var body = new byte[size];
            message.Body?.AsSpan(0, message.BodyCaptured).CopyTo(body);
            message.Body = body;
        }

        data[..n].CopyTo(message.Body.AsSpan(message.BodyCaptured));
        message.BodyCaptured += n;
    }

    private void Complete()
    {
        var message = _message!;
        _message = null;
        _state = State.Start;
        _sink.OnMessage(message);
    }

    /// <summary>Gives up on the current message; a message whose head was parsed is still reported.</summary>
    private void Abandon(bool truncate)
    {
        if (_message is { } message && _state is not (State.Start or State.Head))
        {
            message.Truncated |= truncate;
            Complete();
        }

        _message = null;
        ReturnHead();
        _state = State.Start;
    }

    private int Fail()
    {
        Malformed++;
        Abandon(truncate: true);
        return -1;
    }

    private void ReturnHead()
    {
        if (_head is not null)
        {
            ArrayPool<byte>.Shared.Return(_head);
            _head = null;
        }

        _headLength = 0;
    }

    /// <summary>Cheap early rejection: does this prefix start a request line or a status line?</summary>
    internal static bool LooksLikeHttpStart(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return false;
        }

        ReadOnlySpan<byte> http = "HTTP/1."u8;
        int n = Math.Min(data.Length, http.Length);
        if (data[..n].SequenceEqual(http[..n]))
        {
            return true;
        }

        int i = 0;
        while (i < data.Length && i <= MaxMethodLength && data[i] is >= (byte)'A' and <= (byte)'Z' or (byte)'-' or (byte)'_')
        {
            i++;
        }

        if (i == data.Length)
        {
            return i <= MaxMethodLength;
        }

        return i > 0 && data[i] == ' ' && (i + 1 == data.Length || data[i + 1] is (byte)'/' or (byte)'*' || IsLetter(data[i + 1]));
    }

    private bool ParseHead(
        ReadOnlySpan<byte> head, HttpMessage message, int maxHeaders, out long contentLength, out bool chunked)
    {
        contentLength = -1;
        chunked = false;
        int lineEnd = head.IndexOf((byte)'\n');
        if (lineEnd <= 0)
        {
            return false;
        }

        if (!ParseStartLine(TrimCr(head[..lineEnd]), message))
        {
            return false;
        }

        var rest = head[(lineEnd + 1)..];
        while (true)
        {
            lineEnd = rest.IndexOf((byte)'\n');
            if (lineEnd < 0)
            {
                return false;
            }

            var line = TrimCr(rest[..lineEnd]);
            rest = rest[(lineEnd + 1)..];
            if (line.IsEmpty)
            {
                _previousHeaders.Clear();
                _previousHeaders.AddRange(message.Headers);
                return true;
            }

            int colon = line.IndexOf((byte)':');
            if (colon <= 0 || line[..colon].IndexOfAnyExcept(TokenChars) >= 0)
            {
                return false; // includes obsolete line folding and whitespace before the colon
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "content-length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out int consumed) || consumed != value.Length || length < 0
                    || (contentLength >= 0 && contentLength != length))
                {
                    return false;
                }

                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8))
            {
                // chunked must be the final coding
                chunked = value.Length >= 7 && Ascii.EqualsIgnoreCase(value[^7..], "chunked"u8);
            }

            if (message.Headers.Count < maxHeaders)
            {
                message.Headers.Add(Header(message.Headers.Count, name, value));
            }
            else
            {
                message.HeadersTruncated = true;
            }
        }
    }

    private bool ParseStartLine(ReadOnlySpan<byte> line, HttpMessage message)
    {
        if (line.StartsWith("HTTP/1."u8))
        {
            // HTTP/1.1 200 OK
            if (line.Length < 12 || line[8] != ' ' || !IsDigit(line[7]))
            {
                return false;
            }

            var code = line[9..12];
            if (!IsDigit(code[0]) || !IsDigit(code[1]) || !IsDigit(code[2]) || (line.Length > 12 && line[12] != ' '))
            {
                return false;
            }

            message.IsRequest = false;
            message.MinorVersion = line[7] - '0';
            message.StatusCode = ((code[0] - '0') * 100) + ((code[1] - '0') * 10) + (code[2] - '0');
            return message.StatusCode >= 100;
        }

        // GET /path HTTP/1.1
        int sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0 || sp1 > MaxMethodLength || line[..sp1].IndexOfAnyExcept(TokenChars) >= 0)
        {
            return false;
        }

        int sp2 = line.LastIndexOf((byte)' ');
        if (sp2 <= sp1 + 1)
        {
            return false;
        }

        var version = line[(sp2 + 1)..];
        if (version.Length != 8 || !version.StartsWith("HTTP/1."u8) || !IsDigit(version[7]))
        {
            return false;
        }

        var target = line[(sp1 + 1)..sp2];
        foreach (byte b in target)
        {
            if (b <= ' ' || b == 0x7f)
            {
                return false;
            }
        }

        message.IsRequest = true;
        message.Method = KnownMethod(line[..sp1]) ?? Encoding.ASCII.GetString(line[..sp1]);
        if (!Ascii.Equals(target, _previousTarget))
        {
            _previousTarget = Encoding.Latin1.GetString(target);
        }

        message.Target = _previousTarget;
        message.MinorVersion = version[7] - '0';
        return true;
    }

    private static ReadOnlySpan<byte> TrimCr(ReadOnlySpan<byte> line) =>
        line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    private static string? KnownMethod(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("GET"u8) => "GET",
        3 when method.SequenceEqual("PUT"u8) => "PUT",
        4 when method.SequenceEqual("POST"u8) => "POST",
        4 when method.SequenceEqual("HEAD"u8) => "HEAD",
        5 when method.SequenceEqual("PATCH"u8) => "PATCH",
        6 when method.SequenceEqual("DELETE"u8) => "DELETE",
        7 when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        _ => null,
    };

    /// <summary>Lower-cased header name; common names come from a table so that parsing them allocates nothing.</summary>
    private static string LowerAscii(ReadOnlySpan<byte> name)
    {
        foreach (string known in KnownHeaderNames)
        {
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }


        Span<char> chars = name.Length <= 128 ? stackalloc char[name.Length] : new char[name.Length];
        Ascii.ToLower(name, chars, out int written);
        return new string(chars[..written]);
    }

    /// <summary>
    /// Header <paramref name="at"/> with a lower-cased name. A keep-alive connection sends its headers in the same order
    /// every time: when the previous message had the same name there, its name string is reused, and so is its value
    /// string when the ASCII value is the same too (a value with non-ASCII bytes is always new).
    /// </summary>
    private KeyValuePair<string, string> Header(int at, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (at < _previousHeaders.Count)
        {
            var (previousName, previousValue) = _previousHeaders[at];
            if (previousName.Length == name.Length && Ascii.EqualsIgnoreCase(name, previousName))
            {
                return new(previousName, Ascii.Equals(value, previousValue) ? previousValue : Encoding.Latin1.GetString(value));
            }
        }

        return new(LowerAscii(name), Encoding.Latin1.GetString(value));
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsLetter(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z';
}
