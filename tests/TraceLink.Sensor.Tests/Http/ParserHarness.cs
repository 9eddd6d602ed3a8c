using System.Text;

using TraceLink.Sensor.Http;

namespace TraceLink.Sensor.Tests.Http;

/// <summary>Drives one <see cref="HttpStreamParser"/> and records what it reports.</summary>
internal sealed class ParserHarness : IHttpMessageSink
{
    private uint _seq;
    private ulong _ts;

    public ParserHarness(HttpParserLimits? limits = null, uint initialSeq = 1000)
    {
        Parser = new HttpStreamParser(limits ?? HttpParserLimits.Default, this);
        _seq = initialSeq;
    }

    public HttpStreamParser Parser { get; }

    public List<HttpMessage> Messages { get; } = [];

    /// <summary>Answer to the parser's "is the pending request a HEAD?" question.</summary>
    public bool HeadPending { get; set; }

    /// <summary>Feeds each part as one segment (one syscall), advancing seq and time.</summary>
    public ParserHarness Feed(params string[] parts)
    {
        foreach (var part in parts)
        {
            Feed(Encoding.Latin1.GetBytes(part));
        }

        return this;
    }

    public ParserHarness Feed(byte[] bytes)
    {
        _ts += 1000;
        Parser.Feed(bytes, new SegmentInfo(_seq, _ts, _ts + 10, 7, 1));
        _seq = unchecked(_seq + (uint)bytes.Length);
        return this;
    }

    public ParserHarness Skip(int length)
    {
        Parser.Skip(length, new SegmentInfo(_seq, _ts, _ts + 10, 7, 1));
        _seq = unchecked(_seq + (uint)length);
        return this;
    }

    public bool NextResponseIsForHead() => HeadPending;

    public void OnMessage(HttpMessage message) => Messages.Add(message);
}
