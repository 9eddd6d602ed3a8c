using System.Net;

using Google.Protobuf;

using Prometheus;

using TraceLink.Storage.Tsdb;

using V2 = Io.Prometheus.Write.V2;

namespace TraceLink.Server.Tests.Prometheus;

public sealed class RemoteRoundTripTests
{
    private const long T0 = 1_700_000_000_000;
    private const ulong StaleBits = 0x7ff0000000000002;

    private static global::Prometheus.Label Lbl(string n, string v) => new() { Name = n, Value = v };

    private static global::Prometheus.Histogram IntHistogram(long t, ulong scale) => new()
    {
        CountInt = 6 * scale,
        ZeroCountInt = scale,
        Sum = 12.5 * scale,
        Schema = 2,
        ZeroThreshold = Math.ScaleB(1, -128),
        PositiveSpans = { new global::Prometheus.BucketSpan { Offset = -1, Length = 2 }, new global::Prometheus.BucketSpan { Offset = 2, Length = 1 } },
        PositiveDeltas = { (long)scale, 0, (long)scale },
        NegativeSpans = { new global::Prometheus.BucketSpan { Offset = 0, Length = 1 } },
        NegativeDeltas = { (long)scale },
        Timestamp = t,
    };

    private static global::Prometheus.Histogram FloatHistogram(long t, double scale) => new()
    {
        CountFloat = 3.5 * scale,
        ZeroCountFloat = 0.5 * scale,
        Sum = -2 * scale,
        Schema = -1,
        ZeroThreshold = 0.01,
        PositiveSpans = { new global::Prometheus.BucketSpan { Offset = 3, Length = 2 } },
        PositiveCounts = { 1 * scale, 2 * scale },
        Timestamp = t,
    };

    private static WriteRequest V1Request()
    {
        var floats = new TimeSeries { Labels = { Lbl("__name__", "up"), Lbl("job", "node") } };
        // Not -0.0: proto3 encoders (Go and C#) skip a double that compares equal to 0, so -0 cannot cross the wire.
        double[] values = [1, double.NaN, BitConverter.UInt64BitsToDouble(StaleBits), 0.1, 5e-324];
        for (int i = 0; i < values.Length; i++)
        {
            floats.Samples.Add(new global::Prometheus.Sample { Timestamp = T0 + (i * 15_000L), Value = values[i] });
        }

        floats.Exemplars.Add(new global::Prometheus.Exemplar { Labels = { Lbl("trace_id", "4bf92f3577b34da6") }, Value = 1, Timestamp = T0 });
        var ints = new TimeSeries { Labels = { Lbl("__name__", "rpc_seconds"), Lbl("job", "node") } };
        var fl = new TimeSeries { Labels = { Lbl("__name__", "rpc_float_seconds"), Lbl("job", "node") } };
        for (int i = 0; i < 3; i++)
        {
            ints.Histograms.Add(IntHistogram(T0 + (i * 15_000L), (ulong)(i + 1)));
            fl.Histograms.Add(FloatHistogram(T0 + (i * 15_000L), i + 1));
        }

        return new WriteRequest { Timeseries = { floats, ints, fl } };
    }

    [Fact]
    public async Task Writes_through_both_protocols_read_back_bit_for_bit_through_both_response_types()
    {
        await using var host = await TsdbHost.StartAsync();
        var v1 = V1Request();
        using (var r = await Wire.WriteV1Async(host.Client, v1))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        }

        var v2 = new V2.Request { Symbols = { "", "__name__", "requests_total", "job", "api" } };
        var v2Series = new V2.TimeSeries { LabelsRefs = { 1, 2, 3, 4 } };
        v2Series.Samples.Add(new V2.Sample { Value = 42, Timestamp = T0 });
        v2Series.Samples.Add(new V2.Sample { Value = BitConverter.UInt64BitsToDouble(StaleBits), Timestamp = T0 + 15_000 });
        v2Series.Exemplars.Add(new V2.Exemplar { LabelsRefs = { 3, 4 }, Value = 42, Timestamp = T0 });
        v2.Timeseries.Add(v2Series);
        using (var r = await Wire.WriteV2Async(host.Client, v2))
        {
            Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
            Assert.Equal("2", r.Headers.GetValues("X-Prometheus-Remote-Write-Samples-Written").Single());
            Assert.Equal("0", r.Headers.GetValues("X-Prometheus-Remote-Write-Histograms-Written").Single());
            Assert.Equal("1", r.Headers.GetValues("X-Prometheus-Remote-Write-Exemplars-Written").Single());
        }

        var read = new ReadRequest
        {
            Queries =
            {
                new global::Prometheus.Query { StartTimestampMs = T0, EndTimestampMs = T0 + 60_000, Matchers = { new global::Prometheus.LabelMatcher { Type = global::Prometheus.LabelMatcher.Types.Type.Eq, Name = "job", Value = "node" } } },
                new global::Prometheus.Query { StartTimestampMs = T0, EndTimestampMs = T0 + 60_000, Matchers = { new global::Prometheus.LabelMatcher { Type = global::Prometheus.LabelMatcher.Types.Type.Re, Name = "__name__", Value = "requests_.*" } } },
            },
        };

        var samples = await Wire.ReadSamplesAsync(host.Client, read.Clone());
        Assert.Equal(2, samples.Results.Count);
        var byName = samples.Results[0].Timeseries.ToDictionary(t => t.Labels[0].Value);
        Assert.Equal(["rpc_float_seconds", "rpc_seconds", "up"], samples.Results[0].Timeseries.Select(t => t.Labels[0].Value));
        AssertSamplesEqual(v1.Timeseries[0].Samples, byName["up"].Samples);
        AssertHistogramsEqual(v1.Timeseries[1].Histograms, byName["rpc_seconds"].Histograms);
        AssertHistogramsEqual(v1.Timeseries[2].Histograms, byName["rpc_float_seconds"].Histograms);
        var v2Read = Assert.Single(samples.Results[1].Timeseries);
        Assert.Equal(StaleBits, BitConverter.DoubleToUInt64Bits(v2Read.Samples[1].Value));

        var frames = await Wire.ReadStreamedAsync(host.Client, read.Clone());
        Assert.Equal([0L, 0, 0, 1], frames.Select(f => f.QueryIndex));
        var streamed = frames.ToDictionary(f => f.ChunkedSeries[0].Labels[0].Value, f => f.ChunkedSeries[0]);
        Assert.Equal(Chunk.Types.Encoding.Xor, streamed["up"].Chunks[0].Type);
        Assert.Equal(Chunk.Types.Encoding.Histogram, streamed["rpc_seconds"].Chunks[0].Type);
        Assert.Equal(Chunk.Types.Encoding.FloatHistogram, streamed["rpc_float_seconds"].Chunks[0].Type);
        AssertSamplesEqual(v1.Timeseries[0].Samples, DecodeFloats(streamed["up"]));
        AssertHistogramsEqual(v1.Timeseries[1].Histograms, DecodeHistograms(streamed["rpc_seconds"]));
        AssertHistogramsEqual(v1.Timeseries[2].Histograms, DecodeHistograms(streamed["rpc_float_seconds"]));

        var exemplars = host.Store.Exemplars(T0, T0, [new TraceLink.Storage.Tsdb.LabelMatcher(TraceLink.Storage.Tsdb.MatchType.Equal, "__name__", "up")]);
        var ex = Assert.Single(Assert.Single(exemplars).Exemplars);
        Assert.Equal(new TraceLink.Storage.Tsdb.Label("trace_id", "4bf92f3577b34da6"), ex.Labels[0]);
        var v2Ex = host.Store.Exemplars(T0, T0, [new TraceLink.Storage.Tsdb.LabelMatcher(TraceLink.Storage.Tsdb.MatchType.Equal, "__name__", "requests_total")]);
        Assert.Equal(42, Assert.Single(Assert.Single(v2Ex).Exemplars).Value);
    }

    private static List<global::Prometheus.Sample> DecodeFloats(ChunkedSeries series)
    {
        var list = new List<global::Prometheus.Sample>();
        foreach (var c in series.Chunks)
        {
            var it = PrometheusChunks.Decode((byte)c.Type, c.Data.ToByteArray());
            while (it.Next() == SampleValueType.Float)
            {
                list.Add(new global::Prometheus.Sample { Timestamp = it.AtTimestamp, Value = it.AtFloat });
            }
        }

        return list;
    }

    private static List<global::Prometheus.Histogram> DecodeHistograms(ChunkedSeries series)
    {
        var list = new List<global::Prometheus.Histogram>();
        foreach (var c in series.Chunks)
        {
            var it = PrometheusChunks.Decode((byte)c.Type, c.Data.ToByteArray());
            SampleValueType type;
            while ((type = it.Next()) != SampleValueType.None)
            {
                list.Add(type == SampleValueType.Histogram
                    ? TraceLink.Query.RemoteRead.ProtoHistograms.ToProto(it.AtHistogram(), it.AtTimestamp)
                    : TraceLink.Query.RemoteRead.ProtoHistograms.ToProto(it.AtFloatHistogram(), it.AtTimestamp));
            }
        }

        return list;
    }

    private static void AssertSamplesEqual(Google.Protobuf.Collections.RepeatedField<global::Prometheus.Sample> want, IList<global::Prometheus.Sample> got)
    {
        Assert.Equal(want.Count, got.Count);
        for (int i = 0; i < want.Count; i++)
        {
            Assert.Equal(want[i].Timestamp, got[i].Timestamp);
            Assert.Equal(BitConverter.DoubleToUInt64Bits(want[i].Value), BitConverter.DoubleToUInt64Bits(got[i].Value));
        }
    }

    private static void AssertHistogramsEqual(Google.Protobuf.Collections.RepeatedField<global::Prometheus.Histogram> want, IList<global::Prometheus.Histogram> got)
    {
        Assert.Equal(want.Count, got.Count);
        for (int i = 0; i < want.Count; i++)
        {
            // The chunk reader reports counter-reset hints as Prometheus does (unknown first, then not-a-reset), so compare the data fields.
            var w = want[i].Clone();
            var g = got[i].Clone();
            w.ResetHint = global::Prometheus.Histogram.Types.ResetHint.Unknown;
            g.ResetHint = global::Prometheus.Histogram.Types.ResetHint.Unknown;
            Assert.Equal(w.ToByteString(), g.ToByteString());
        }
    }
}
