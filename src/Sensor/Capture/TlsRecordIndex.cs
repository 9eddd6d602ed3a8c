namespace TraceLink.Sensor.Capture;

/// <summary>
/// The application-data TLS records found in one received ciphertext segment, with the TCP sequence
/// where each starts. One receive can carry the end of the handshake and the first request; matching
/// an SSL_read to the record whose size fits its plaintext gives the request's own sequence, which is
/// what the client's send reported.
/// </summary>
internal sealed class TlsRecordIndex
{
    private const int MaxRecords = 16;
    private const byte ApplicationData = 0x17;
    private const int MinOverhead = 16;  // AEAD tag (TLS 1.3 adds a content-type byte)
    private const int MaxOverhead = 24;  // TLS 1.2 GCM: explicit nonce + tag (CBC suites are not matched)
    private readonly uint[] _seq = new uint[MaxRecords];
    private readonly int[] _length = new int[MaxRecords];
    private int _count;
    private int _next;
    private uint _segmentSeq;
    private bool _segmentUsed;

    /// <summary>Indexes the records whose headers lie in the captured bytes of a receive.</summary>
    public void Scan(ReadOnlySpan<byte> payload, uint seq)
    {
        _count = 0;
        _next = 0;
        _segmentSeq = seq;
        _segmentUsed = false;
        int offset = 0;
        while (offset + 5 <= payload.Length && _count < MaxRecords)
        {
            byte type = payload[offset];
            if (type is < 0x14 or > 0x18 || payload[offset + 1] != 3)
            {
                return; // not TLS (or not aligned on a record): the plain segment sequence is used
            }

            int length = (payload[offset + 3] << 8) | payload[offset + 4];
            if (type == ApplicationData)
            {
                _seq[_count] = unchecked(seq + (uint)offset);
                _length[_count] = length;
                _count++;
            }

            offset += 5 + length;
        }
    }

    /// <summary>
    /// Consumes the record whose size fits <paramref name="plaintextLength"/>; false when none does, which
    /// also says the plaintext did not come from this segment (used to check a thread-based guess).
    /// </summary>
    public bool TryMatch(long plaintextLength, out uint seq)
    {
        for (int i = _next; i < _count; i++)
        {
            long overhead = _length[i] - plaintextLength;
            if (overhead is >= MinOverhead and <= MaxOverhead)
            {
                _next = i + 1;
                _segmentUsed = true;
                seq = _seq[i];
                return true;
            }
        }

        seq = 0;
        return false;
    }

    /// <summary>The sequence of the record that carried <paramref name="plaintextLength"/> bytes, or 0 once used up.</summary>
    public uint Take(long plaintextLength)
    {
        if (TryMatch(plaintextLength, out uint seq))
        {
            return seq;
        }

        if (_segmentUsed)
        {
            return 0;
        }

        // no record fits (partial read, or records beyond the capture): fall back to the last record, then the segment
        _segmentUsed = true;
        return _count > 0 ? _seq[_count - 1] : _segmentSeq;
    }
}
