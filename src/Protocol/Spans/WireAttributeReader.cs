using TraceLink.Protocol.Wire;

namespace TraceLink.Protocol.Spans;

/// <summary>
/// Enumerates the <c>KeyValue</c> attributes of an encoded OTLP message in place (<c>foreach</c> over a span, resource,
/// scope or event), allocating nothing. The message must have been validated (<see cref="OtlpSpanBatch"/> does).
/// </summary>
public ref struct WireAttributeReader
{
    /// <summary>Field number of <c>Span.attributes</c>.</summary>
    public const int SpanField = 9;

    /// <summary>Field number of <c>Resource.attributes</c>.</summary>
    public const int ResourceField = 1;

    /// <summary>Field number of <c>InstrumentationScope.attributes</c> and <c>Span.Event.attributes</c>.</summary>
    public const int ScopeOrEventField = 3;

    private readonly int _field;
    private ProtoReader _reader;
    private WireKeyValue _current;

    /// <summary>Reads the attributes held in field <paramref name="field"/> of <paramref name="message"/>.</summary>
    public WireAttributeReader(ReadOnlySpan<byte> message, int field)
    {
        _reader = new ProtoReader(message);
        _field = field;
        _current = default;
    }

    /// <summary>The attribute the enumerator is on.</summary>
    public readonly WireKeyValue Current => _current;

    /// <summary>Attributes of an encoded <c>Span</c>.</summary>
    public static WireAttributeReader OfSpan(ReadOnlySpan<byte> span) => new(span, SpanField);

    /// <summary>Attributes of an encoded <c>Resource</c>.</summary>
    public static WireAttributeReader OfResource(ReadOnlySpan<byte> resource) => new(resource, ResourceField);

    /// <summary>Finds the first attribute named <paramref name="key"/> in field <paramref name="field"/> of <paramref name="message"/>.</summary>
    public static bool TryFind(ReadOnlySpan<byte> message, int field, ReadOnlySpan<byte> key, out WireKeyValue attribute)
    {
        foreach (WireKeyValue candidate in new WireAttributeReader(message, field))
        {
            if (candidate.Key.SequenceEqual(key))
            {
                attribute = candidate;
                return true;
            }
        }

        attribute = default;
        return false;
    }

    /// <summary>Returns this enumerator (for <c>foreach</c>).</summary>
    public readonly WireAttributeReader GetEnumerator() => this;

    /// <summary>Moves to the next attribute.</summary>
    public bool MoveNext()
    {
        while (!_reader.End)
        {
            int field = _reader.Tag(out int wireType);
            if (field == _field && wireType == 2)
            {
                _current = ReadKeyValue(_reader.Bytes());
                return true;
            }

            _reader.Skip(wireType);
        }

        return false;
    }

    private static WireKeyValue ReadKeyValue(ReadOnlySpan<byte> keyValue)
    {
        ReadOnlySpan<byte> key = default;
        ReadOnlySpan<byte> value = default;
        bool hasValue = false;
        var reader = new ProtoReader(keyValue);
        while (!reader.End)
        {
            int field = reader.Tag(out int wireType);
            if (field == 1 && wireType == 2)
            {
                key = reader.Bytes();
            }
            else if (field == 2 && wireType == 2)
            {
                value = reader.Bytes();
                hasValue = true;
            }
            else
            {
                reader.Skip(wireType);
            }
        }

        if (!hasValue)
        {
            return new WireKeyValue(key, WireValueKind.None, default, 0, 0);
        }

        // AnyValue is a oneof: the last member on the wire wins.
        var kind = WireValueKind.None;
        ReadOnlySpan<byte> bytes = default;
        long number = 0;
        double real = 0;
        var any = new ProtoReader(value);
        while (!any.End)
        {
            int field = any.Tag(out int wireType);
            switch (field)
            {
                case 1 when wireType == 2:
                    kind = WireValueKind.String;
                    bytes = any.Bytes();
                    break;
                case 2 when wireType == 0:
                    kind = WireValueKind.Bool;
                    number = any.Varint() != 0 ? 1 : 0;
                    break;
                case 3 when wireType == 0:
                    kind = WireValueKind.Int;
                    number = (long)any.Varint();
                    break;
                case 4 when wireType == 1:
                    kind = WireValueKind.Double;
                    real = any.Double();
                    break;
                case 5 when wireType == 2:
                    kind = WireValueKind.Array;
                    bytes = any.Bytes();
                    break;
                case 6 when wireType == 2:
                    kind = WireValueKind.KeyValueList;
                    bytes = any.Bytes();
                    break;
                case 7 when wireType == 2:
                    kind = WireValueKind.Bytes;
                    bytes = any.Bytes();
                    break;
                default:
                    any.Skip(wireType);
                    break;
            }
        }

        return new WireKeyValue(key, kind, bytes, number, real);
    }
}
