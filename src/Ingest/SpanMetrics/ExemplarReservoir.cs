namespace TraceLink.Ingest.SpanMetrics;

/// <summary>A span kept as exemplar candidate; ids are held by value (big-endian numbers), since request buffers are reused.</summary>
internal struct ExemplarCandidate
{
    public UInt128 TraceId;
    public ulong SpanId;
    public bool HasSpanId;
    public double Seconds;
    public long TimestampMs;
    public bool Error;
    public int Bucket;

    /// <summary>Errors first, then slower spans: the order in which exemplars are worth keeping.</summary>
    public readonly bool IsBetterThan(in ExemplarCandidate other)
        => Error != other.Error ? Error : Seconds > other.Seconds;
}

/// <summary>
/// Per series and flush interval: the slowest span, the slowest error, and the best span of up to
/// <c>capacity</c> distinct buckets (errors, then the slow tail, win when the slots are full). Fixed size.
/// </summary>
internal sealed class ExemplarReservoir(int capacity)
{
    private readonly ExemplarCandidate[] _buckets = new ExemplarCandidate[capacity];
    private int _bucketCount;
    private ExemplarCandidate _slowest;
    private ExemplarCandidate _slowestError;
    private bool _hasSlowest;
    private bool _hasSlowestError;

    /// <summary>Considers a span with a trace id (the connector offers no others).</summary>
    public void Offer(in ExemplarCandidate candidate)
    {
        if (!_hasSlowest || candidate.Seconds > _slowest.Seconds)
        {
            _slowest = candidate;
            _hasSlowest = true;
        }

        if (candidate.Error && (!_hasSlowestError || candidate.Seconds > _slowestError.Seconds))
        {
            _slowestError = candidate;
            _hasSlowestError = true;
        }

        var worst = -1;
        for (var i = 0; i < _bucketCount; i++)
        {
            if (_buckets[i].Bucket == candidate.Bucket)
            {
                if (candidate.IsBetterThan(_buckets[i]))
                {
                    _buckets[i] = candidate;
                }

                return;
            }

            if (worst < 0 || _buckets[worst].IsBetterThan(_buckets[i]))
            {
                worst = i;
            }
        }

        if (_bucketCount < _buckets.Length)
        {
            _buckets[_bucketCount++] = candidate;
        }
        else if (worst >= 0 && candidate.IsBetterThan(_buckets[worst]))
        {
            _buckets[worst] = candidate;
        }
    }

    /// <summary>Moves the kept candidates (distinct spans) into <paramref name="into"/> and empties the reservoir.</summary>
    public void Drain(List<ExemplarCandidate> into)
    {
        if (_hasSlowest)
        {
            into.Add(_slowest);
        }

        if (_hasSlowestError && !SameSpan(_slowestError, _slowest))
        {
            into.Add(_slowestError);
        }

        for (var i = 0; i < _bucketCount; i++)
        {
            if (!SameSpan(_buckets[i], _slowest) && !(_hasSlowestError && SameSpan(_buckets[i], _slowestError)))
            {
                into.Add(_buckets[i]);
            }

            _buckets[i] = default;
        }

        _bucketCount = 0;
        _hasSlowest = _hasSlowestError = false;
        _slowest = _slowestError = default;
    }

    private static bool SameSpan(in ExemplarCandidate a, in ExemplarCandidate b)
        => a.TraceId == b.TraceId && a.SpanId == b.SpanId && a.TimestampMs == b.TimestampMs;
}
