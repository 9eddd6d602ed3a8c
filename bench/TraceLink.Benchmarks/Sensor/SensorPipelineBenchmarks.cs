using System.Runtime.InteropServices;
using System.Text;

using BenchmarkDotNet.Attributes;

using TraceLink.Sensor;
using TraceLink.Sensor.Capture;
using TraceLink.Sensor.Http;
using TraceLink.Sensor.Native;
using TraceLink.Sensor.Spans;

namespace TraceLink.Benchmarks.Sensor;

/// <summary>
/// The sensor's user-space hot path fed with recorded ring-buffer records of 1,000 keep-alive HTTP exchanges
/// (client send, server receive, server send, client receive: 4,000 records): the bare HTTP parser as the
/// baseline, the connection tracker that pairs them, and the tracker plus OTLP span building.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class SensorPipelineBenchmarks
{
    private const int Exchanges = 1000;
    private readonly List<byte[]> _records = [];
    private byte[] _request = [];
    private byte[] _response = [];
    private HttpStreamParser? _requestParser;
    private HttpStreamParser? _responseParser;
    private SpanFactory? _factory;

    [GlobalSetup]
    public void Setup()
    {
        _request = Encoding.ASCII.GetBytes(
            "GET /api/items/42?verbose=1 HTTP/1.1\r\nHost: shop:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n" +
            "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\nx-request-id: 6f1c2a\r\n\r\n");
        _response = Encoding.ASCII.GetBytes(
            "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Wed, 25 Nov 2026 09:00:00 GMT\r\nContent-Type: application/json\r\n" +
            "Content-Length: 27\r\nConnection: keep-alive\r\n\r\n{\"id\":42,\"name\":\"item-42\"}\n");
        ulong ts = 1_000_000;
        uint clientSeq = 1000, serverSeq = 9000;
        for (int i = 0; i < Exchanges; i++)
        {
            _records.Add(Record(pid: 100, tid: 101, sock: 0xA, Direction.Egress, clientSeq, _request, ts += 1000));
            _records.Add(Record(pid: 200, tid: 201, sock: 0xB, Direction.Ingress, clientSeq, _request, ts += 1000));
            _records.Add(Record(pid: 200, tid: 201, sock: 0xB, Direction.Egress, serverSeq, _response, ts += 1000));
            _records.Add(Record(pid: 100, tid: 101, sock: 0xA, Direction.Ingress, serverSeq, _response, ts += 1000));
            clientSeq += (uint)_request.Length;
            serverSeq += (uint)_response.Length;
        }

        var limits = HttpParserLimits.Default;
        _requestParser = new HttpStreamParser(limits, new DiscardSink());
        _responseParser = new HttpStreamParser(limits, new DiscardSink());
        _factory = new SpanFactory(new SensorOptions(), _ => "bench");
    }

    /// <summary>Both directions of every exchange through the bare parser (the server side only).</summary>
    [Benchmark(Baseline = true)]
    public long ParseOnly()
    {
        long total = 0;
        var segment = new SegmentInfo(1, 1, 2, 1, 1);
        for (int i = 0; i < Exchanges; i++)
        {
            _requestParser!.Feed(_request, segment);
            _responseParser!.Feed(_response, segment);
            total += _request.Length + _response.Length;
        }

        return total;
    }

    /// <summary>All 4,000 records through the tracker: both sides parsed and paired into exchanges.</summary>
    [Benchmark]
    public long Track()
    {
        long exchanges = 0;
        var tracker = new ConnectionTracker(HttpParserLimits.Default, _ => exchanges++, 0);
        Feed(tracker);
        return exchanges;
    }

    /// <summary>The tracker plus the OTLP span of each exchange (what the ring-buffer thread does).</summary>
    [Benchmark]
    public int TrackAndBuildSpans()
    {
        SpanBatch? batch = null;
        int spans = 0;
        var tracker = new ConnectionTracker(HttpParserLimits.Default, exchange =>
        {
            batch!.Add(exchange);
            if (batch.Count >= 512)
            {
                spans += batch.Count;
                batch.Take()?.Dispose();
            }
        }, 0);
        batch = new SpanBatch(_factory!, tracker.MessagePool); // as the ring-buffer reader: messages reused once built
        Feed(tracker);
        spans += batch.Count;
        batch.Take()?.Dispose();
        batch.Dispose(); // its buffer goes back to the pool, as when the reader stops
        return spans;
    }

    private void Feed(ConnectionTracker tracker)
    {
        foreach (byte[] record in _records)
        {
            ref readonly var header = ref MemoryMarshal.AsRef<EventHeader>(record);
            tracker.OnRecord(header, record.AsSpan(EventHeader.Size, (int)header.Captured));
        }
    }

    private static byte[] Record(uint pid, uint tid, ulong sock, Direction direction, uint seq, byte[] payload, ulong ts)
    {
        var header = new EventHeader
        {
            Kind = EventKind.Data,
            Pid = pid,
            Tid = tid,
            Sock = sock,
            Seq = seq,
            Direction = direction,
            TsEnter = ts,
            TsExit = ts + 500,
            Ret = payload.Length,
            Captured = (uint)payload.Length,
            Family = 2,
            LocalPort = direction == Direction.Egress ? (ushort)40000 : (ushort)8080,
            RemotePort = 8080,
        };
        var record = new byte[EventHeader.Size + payload.Length];
        MemoryMarshal.Write(record, in header);
        payload.CopyTo(record, EventHeader.Size);
        return record;
    }

    private sealed class DiscardSink : IHttpMessageSink
    {
        public bool NextResponseIsForHead() => false;

        public void OnMessage(HttpMessage message)
        {
        }
    }
}
