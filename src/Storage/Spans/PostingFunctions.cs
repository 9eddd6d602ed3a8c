using System.Buffers;
using System.Runtime.InteropServices;

using FASTER.core;

namespace TraceLink.Storage.Spans;

/// <summary>One posting: a span locator and the span's start, so lookups filter by time without reading the log.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Posting
{
    public long Locator;
    public long StartUnixNano;

    public Posting(long locator, long startUnixNano)
    {
        Locator = locator;
        StartUnixNano = startUnixNano;
    }
}

/// <summary>RMW input: postings to append (pinned, ascending locators) and the chunk bound.</summary>
internal unsafe struct PostingInput
{
    public Posting* Items;
    public int Count;
    public int MaxPerChunk;
}

/// <summary>RMW output (how many input postings the chunk took) and read output (the chunk's postings).</summary>
internal struct PostingOutput
{
    public int Consumed;
    public int Count;
    public Posting[]? Buffer;
}

/// <summary>
/// Value layout (SpanByte payload): <c>int count | int reserved | Posting[capacity]</c>, capacity = (length - 8) / 16.
/// Appends skip postings whose locator is not above the chunk's last one, which makes WAL replay idempotent because
/// locators only grow. A chunk never holds more than <see cref="PostingInput.MaxPerChunk"/> postings; the caller
/// continues in the next chunk with what was not consumed.
/// </summary>
internal sealed unsafe class PostingFunctions : FunctionsBase<SpanByte, SpanByte, PostingInput, PostingOutput, Empty>
{
    private const int ValueHeader = 8;

    public static int Capacity(ref SpanByte value) => (value.Length - ValueHeader) / sizeof(Posting);

    public static int ValueLengthWithPrefix(int capacity) => sizeof(int) + ValueHeader + (capacity * sizeof(Posting));

    public static int InitialCapacity(int count, int max)
    {
        int wanted = Math.Max(count, 1);
        int capacity = (int)Math.Min(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)wanted), (uint)max);
        return capacity;
    }

    public static int SkipDuplicates(ref SpanByte value, ref PostingInput input)
    {
        int count = *CountPtr(ref value);
        if (count == 0)
        {
            return 0;
        }

        long last = Items(ref value)[count - 1].Locator;
        int skip = 0;
        while (skip < input.Count && input.Items[skip].Locator <= last)
        {
            skip++;
        }

        return skip;
    }

    public override bool InitialUpdater(ref SpanByte key, ref PostingInput input, ref SpanByte value, ref PostingOutput output, ref RMWInfo rmwInfo)
    {
        int n = Math.Min(input.Count, Capacity(ref value));
        new ReadOnlySpan<Posting>(input.Items, n).CopyTo(new Span<Posting>(Items(ref value), n));
        *CountPtr(ref value) = n;
        *(CountPtr(ref value) + 1) = 0;
        output.Consumed = n;
        return true;
    }

    public override bool NeedCopyUpdate(ref SpanByte key, ref PostingInput input, ref SpanByte oldValue, ref PostingOutput output, ref RMWInfo rmwInfo)
    {
        // A sealed (full) chunk or a pure replay duplicate changes nothing: do not copy it to the tail.
        int skip = SkipDuplicates(ref oldValue, ref input);
        if (skip == input.Count || *CountPtr(ref oldValue) >= input.MaxPerChunk)
        {
            output.Consumed = skip;
            return false;
        }

        return true;
    }

    public override bool InPlaceUpdater(ref SpanByte key, ref PostingInput input, ref SpanByte value, ref PostingOutput output, ref RMWInfo rmwInfo)
    {
        int count = *CountPtr(ref value);
        int capacity = Capacity(ref value);
        int skip = SkipDuplicates(ref value, ref input);
        int rest = input.Count - skip;
        if (count + rest > capacity && capacity < input.MaxPerChunk)
        {
            return false;
        }

        int take = Math.Min(rest, Math.Min(capacity, input.MaxPerChunk) - count);
        take = Math.Max(take, 0);
        new ReadOnlySpan<Posting>(input.Items + skip, take).CopyTo(new Span<Posting>(Items(ref value) + count, take));
        Volatile.Write(ref *CountPtr(ref value), count + take);
        output.Consumed = skip + take;
        return true;
    }

    public override bool CopyUpdater(ref SpanByte key, ref PostingInput input, ref SpanByte oldValue, ref SpanByte newValue, ref PostingOutput output, ref RMWInfo rmwInfo)
    {
        int count = *CountPtr(ref oldValue);
        int capacity = Capacity(ref newValue);
        int skip = SkipDuplicates(ref oldValue, ref input);
        new ReadOnlySpan<Posting>(Items(ref oldValue), count).CopyTo(new Span<Posting>(Items(ref newValue), count));
        int take = Math.Max(0, Math.Min(input.Count - skip, Math.Min(capacity, input.MaxPerChunk) - count));
        new ReadOnlySpan<Posting>(input.Items + skip, take).CopyTo(new Span<Posting>(Items(ref newValue) + count, take));
        *CountPtr(ref newValue) = count + take;
        *(CountPtr(ref newValue) + 1) = 0;
        output.Consumed = skip + take;
        return true;
    }

    public override bool SingleReader(ref SpanByte key, ref PostingInput input, ref SpanByte value, ref PostingOutput dst, ref ReadInfo readInfo) => CopyOut(ref value, ref dst);

    public override bool ConcurrentReader(ref SpanByte key, ref PostingInput input, ref SpanByte value, ref PostingOutput dst, ref ReadInfo readInfo) => CopyOut(ref value, ref dst);

    // FunctionsBase's writers assign the SpanByte struct (a pointer) instead of copying the bytes; compaction and
    // copy-to-tail go through these, so they must copy (notes/faster.md pitfall 1).
    public override bool SingleWriter(ref SpanByte key, ref PostingInput input, ref SpanByte src, ref SpanByte dst, ref PostingOutput output, ref UpsertInfo upsertInfo, WriteReason reason)
    {
        src.CopyTo(ref dst);
        return true;
    }

    public override bool ConcurrentWriter(ref SpanByte key, ref PostingInput input, ref SpanByte src, ref SpanByte dst, ref PostingOutput output, ref UpsertInfo upsertInfo) => src.TryCopyTo(ref dst);

    private static bool CopyOut(ref SpanByte value, ref PostingOutput dst)
    {
        int count = Volatile.Read(ref *CountPtr(ref value));
        if (dst.Buffer is null || dst.Buffer.Length < count)
        {
            if (dst.Buffer is not null)
            {
                ArrayPool<Posting>.Shared.Return(dst.Buffer);
            }

            dst.Buffer = ArrayPool<Posting>.Shared.Rent(Math.Max(count, 64));
        }

        new ReadOnlySpan<Posting>(Items(ref value), count).CopyTo(dst.Buffer);
        dst.Count = count;
        return true;
    }

    private static int* CountPtr(ref SpanByte value) => (int*)value.ToPointer();

    private static Posting* Items(ref SpanByte value) => (Posting*)(value.ToPointer() + ValueHeader);
}

/// <summary>Sizes posting values for RMW: room for the input on creation, geometric growth up to the chunk bound.</summary>
internal unsafe struct PostingLength : IVariableLengthStruct<SpanByte, PostingInput>
{
    public int GetInitialLength(ref PostingInput input) =>
        PostingFunctions.ValueLengthWithPrefix(PostingFunctions.InitialCapacity(input.Count, input.MaxPerChunk));

    public int GetLength(ref SpanByte oldValue, ref PostingInput input)
    {
        int capacity = PostingFunctions.Capacity(ref oldValue);
        int count = *(int*)oldValue.ToPointer();
        int need = count + input.Count - PostingFunctions.SkipDuplicates(ref oldValue, ref input);
        if (need > capacity && capacity < input.MaxPerChunk)
        {
            long grown = Math.Max(capacity * 2L, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)need));
            capacity = (int)Math.Min(grown, input.MaxPerChunk);
        }

        return PostingFunctions.ValueLengthWithPrefix(capacity);
    }
}
