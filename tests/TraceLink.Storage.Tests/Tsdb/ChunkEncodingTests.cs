using TraceLink.Storage.Tsdb;
using TraceLink.Storage.Tsdb.Chunks;

namespace TraceLink.Storage.Tests.Tsdb;

public sealed class ChunkEncodingTests
{
    [Fact]
    public void Xor_chunk_matches_the_contract_example_bytes()
    {
        var a = new XorAppender();
        a.Append(1700000000000, 1.0);
        a.Append(1700000015000, 1.0);
        a.Append(1700000030000, 2.0);
        a.Append(1700000045010, 2.5);
        Assert.Equal(Convert.FromHexString("000480a0abfef9623ff00000000000009875309 7ffe002b683".Replace(" ", "", StringComparison.Ordinal)), a.ToChunk().Data);
    }

    [Fact]
    public void Integer_histogram_chunk_matches_the_contract_example_bytes()
    {
        var h1 = new Histogram { Schema = 0, ZeroThreshold = Math.ScaleB(1, -128), Count = 5, ZeroCount = 1, Sum = 10, PositiveSpans = [new BucketSpan(0, 2)], PositiveBuckets = [2, 0] };
        var h2 = new Histogram { Schema = 0, ZeroThreshold = Math.ScaleB(1, -128), Count = 7, ZeroCount = 1, Sum = 13, PositiveSpans = [new BucketSpan(0, 2)], PositiveBuckets = [3, 0] };
        var chunk = HistogramChunkAppender.Encode([(1700000000000, h1), (1700000015000, h2)], HistogramChunkFlags.Unknown);
        Assert.Equal(Convert.FromHexString("00020074 4647f0000c5e7f2b400562804800000000000127c1d4c49b03f100".Replace(" ", "", StringComparison.Ordinal)), chunk.Data);
    }

    [Fact]
    public void Xor_chunk_round_trips_nan_stale_markers_and_large_jumps_bit_for_bit()
    {
        double[] values = [0, -0.0, double.NaN, BitConverter.UInt64BitsToDouble(0x7ff0000000000002), double.PositiveInfinity, 1e308, 3.14159, 3.14159, -1];
        long[] times = [0, 1, 15001, 15002, 1_000_000_000, 1_000_000_001, 1_000_000_002, 2_000_000_000_000, 2_000_000_000_015];
        var a = new XorAppender();
        for (int i = 0; i < values.Length; i++)
        {
            a.Append(times[i], values[i]);
        }

        var samples = new List<Sample>();
        ChunkDecoder.Decode(a.ToChunk(), samples);
        Assert.Equal(values.Length, samples.Count);
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(times[i], samples[i].T);
            Assert.Equal(BitConverter.DoubleToUInt64Bits(values[i]), BitConverter.DoubleToUInt64Bits(samples[i].F));
        }
    }

    [Fact]
    public void Histogram_chunks_round_trip_negative_buckets_custom_bounds_and_stale_markers()
    {
        var ints = new List<(long, Histogram)>();
        var floats = new List<(long, FloatHistogram)>();
        for (int i = 0; i < 30; i++)
        {
            var h = new Histogram
            {
                Schema = 3,
                ZeroThreshold = 0.001,
                ZeroCount = (ulong)i,
                Count = (ulong)(i + (3 * i) + i + (2 * i)),
                Sum = i * 1.5,
                PositiveSpans = [new BucketSpan(-2, 2), new BucketSpan(3, 1)],
                PositiveBuckets = [i, 2 * i, -i],
                NegativeSpans = [new BucketSpan(1, 1)],
                NegativeBuckets = [2 * i],
            };
            ints.Add((1000L * i, h));
            floats.Add((1000L * i, h.ToFloat()));
        }

        var stale = BitConverter.UInt64BitsToDouble(0x7ff0000000000002);
        ints.Add((31000, new Histogram { Sum = stale }));
        floats.Add((31000, new FloatHistogram { Sum = stale }));

        var decodedInts = new List<Sample>();
        ChunkDecoder.Decode(HistogramChunkAppender.Encode(ints, HistogramChunkFlags.Unknown), decodedInts);
        var decodedFloats = new List<Sample>();
        ChunkDecoder.Decode(HistogramChunkAppender.Encode(floats, HistogramChunkFlags.Unknown), decodedFloats);
        for (int i = 0; i < 30; i++)
        {
            var want = ints[i].Item2;
            var got = decodedInts[i].H!;
            Assert.Equal(want.Count, got.Count);
            Assert.Equal(want.ZeroCount, got.ZeroCount);
            Assert.Equal(want.Sum, got.Sum);
            Assert.Equal(want.ZeroThreshold, got.ZeroThreshold);
            Assert.Equal(want.PositiveSpans, got.PositiveSpans);
            Assert.Equal(want.NegativeSpans, got.NegativeSpans);
            Assert.Equal(want.PositiveBuckets, got.PositiveBuckets);
            Assert.Equal(want.NegativeBuckets, got.NegativeBuckets);
            Assert.Equal(floats[i].Item2.PositiveBuckets, decodedFloats[i].FH!.PositiveBuckets);
            Assert.Equal(floats[i].Item2.Count, decodedFloats[i].FH!.Count);
        }

        Assert.Equal(0x7ff0000000000002UL, BitConverter.DoubleToUInt64Bits(decodedInts[30].H!.Sum));
        Assert.Equal(0x7ff0000000000002UL, BitConverter.DoubleToUInt64Bits(decodedFloats[30].FH!.Sum));

        var custom = new FloatHistogram { Schema = -53, Count = 3, Sum = 2, CustomValues = [0.1, 0.25, 1.0 / 3], PositiveSpans = [new BucketSpan(0, 3)], PositiveBuckets = [1, 1, 1] };
        var decodedCustom = new List<Sample>();
        ChunkDecoder.Decode(HistogramChunkAppender.Encode([(5, custom)], HistogramChunkFlags.Unknown), decodedCustom);
        Assert.Equal(custom.CustomValues, decodedCustom[0].FH!.CustomValues);
    }

    [Fact]
    public void Histograms_with_differing_layouts_are_widened_to_the_union_with_zero_buckets()
    {
        var a = new Histogram { Count = 1, PositiveSpans = [new BucketSpan(0, 1)], PositiveBuckets = [1] };
        var b = new Histogram { Count = 3, PositiveSpans = [new BucketSpan(0, 1), new BucketSpan(1, 1)], PositiveBuckets = [1, 1] };
        var samples = new List<Sample>();
        ChunkDecoder.Decode(HistogramChunkAppender.Encode([(1, a), (2, b)], HistogramChunkFlags.Unknown), samples);
        Assert.Equal([new BucketSpan(0, 1), new BucketSpan(1, 1)], samples[0].H!.PositiveSpans);
        Assert.Equal([1.0, 0.0], samples[0].H!.ToFloat().PositiveBuckets);
        Assert.Equal([1.0, 2.0], samples[1].H!.ToFloat().PositiveBuckets);
    }

    [Fact]
    public void Histograms_appended_one_by_one_with_growing_and_shrinking_layouts_decode_to_their_values_on_the_union()
    {
        // Every sample picks its own bucket subset, so the streamed appender both widens samples into its layout and
        // re-encodes the chunk when a sample brings new buckets; decoding must give back every sample's own buckets.
        var random = new Random(7);
        for (int run = 0; run < 200; run++)
        {
            var ints = new List<(long T, Histogram H)>();
            var floats = new List<(long T, FloatHistogram H)>();
            var union = new SortedSet<int>();
            ulong count = 0;
            int samples = random.Next(1, 60);
            for (int i = 0; i < samples; i++)
            {
                int[] indexes = [.. Enumerable.Range(-5, 16).Where(_ => random.Next(3) == 0)];
                long[] absolute = [.. indexes.Select(_ => (long)random.Next(0, 40))];
                union.UnionWith(indexes);
                count += (ulong)random.Next(0, 500);
                var spans = BucketLayout.ToSpans(indexes);
                ints.Add((15_000L * i, new Histogram { Schema = 2, Count = count, ZeroCount = (ulong)random.Next(5), Sum = random.NextDouble(), PositiveSpans = spans, PositiveBuckets = Deltas(absolute) }));
                floats.Add((15_000L * i, new FloatHistogram { Schema = 2, Count = count, Sum = random.NextDouble(), NegativeSpans = spans, NegativeBuckets = [.. absolute.Select(v => v / 4.0)] }));
            }

            var decodedInts = new List<Sample>();
            ChunkDecoder.Decode(HistogramChunkAppender.Encode(ints, HistogramChunkFlags.Unknown), decodedInts);
            var decodedFloats = new List<Sample>();
            ChunkDecoder.Decode(HistogramChunkAppender.Encode(floats, HistogramChunkFlags.Unknown), decodedFloats);
            Assert.Equal(ints.Count, decodedInts.Count);
            Assert.Equal(floats.Count, decodedFloats.Count);
            for (int i = 0; i < ints.Count; i++)
            {
                var want = ints[i].H;
                var got = decodedInts[i].H!;
                Assert.Equal(ints[i].T, decodedInts[i].T);
                Assert.Equal((want.Count, want.ZeroCount, want.Sum), (got.Count, got.ZeroCount, got.Sum));
                Assert.Equal(union.ToArray(), Indexes(got.PositiveSpans));
                Assert.Equal(OnUnion(want.PositiveSpans, want.ToFloat().PositiveBuckets, union), got.ToFloat().PositiveBuckets);
                var wantFloat = floats[i].H;
                var gotFloat = decodedFloats[i].FH!;
                Assert.Equal((wantFloat.Count, wantFloat.Sum), (gotFloat.Count, gotFloat.Sum));
                Assert.Equal(OnUnion(wantFloat.NegativeSpans, wantFloat.NegativeBuckets, union), gotFloat.NegativeBuckets);
            }
        }
    }

    [Fact]
    public void Crc32c_check_value_matches_castagnoli()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    private static long[] Deltas(long[] absolute) => [.. absolute.Select((v, i) => v - (i == 0 ? 0 : absolute[i - 1]))];

    private static int[] Indexes(BucketSpan[] spans)
    {
        var indexes = new List<int>();
        int index = 0;
        foreach (var span in spans)
        {
            index += span.Offset;
            for (int k = 0; k < span.Length; k++)
            {
                indexes.Add(index++);
            }
        }

        return [.. indexes];
    }

    private static double[] OnUnion(BucketSpan[] spans, double[] counts, SortedSet<int> union)
    {
        var byIndex = Indexes(spans).Zip(counts).ToDictionary(p => p.First, p => p.Second);
        return [.. union.Select(i => byIndex.GetValueOrDefault(i))];
    }
}
