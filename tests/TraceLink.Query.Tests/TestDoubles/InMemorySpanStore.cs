using System.Text;

using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tests.TestDoubles;

/// <summary>
/// TEST DOUBLE: a list-backed <see cref="ISpanStore"/> for API tests (no durability, linear scans).
/// It mimics the contract's observable behaviour, including "order inside a minute bucket unspecified"
/// (it returns each minute oldest-first to catch code that relies on an order).
/// </summary>
public sealed class InMemorySpanStore : ISpanStore
{
    private readonly List<StoredSpan> _spans = [];

    /// <summary>Every Lookup call, so tests can check that search used the index.</summary>
    public List<(IndexKind Kind, string Value)> Lookups { get; } = [];

    public int ScanCount { get; private set; }

    public ValueTask<int> AppendAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken)
    {
        var count = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                foreach (var span in scopeSpans.Spans)
                {
                    _spans.Add(new StoredSpan(_spans.Count, resourceSpans.Resource, scopeSpans.Scope, span));
                    count++;
                }
            }
        }

        return ValueTask.FromResult(count);
    }

    public IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId)
    {
        var result = new List<StoredSpan>();
        foreach (var span in _spans)
        {
            if (span.Span.TraceId.Span.SequenceEqual(traceId))
            {
                result.Add(span);
            }
        }

        return result;
    }

    public void Lookup(IndexKind kind, ReadOnlySpan<byte> value, long fromUnixNano, long toUnixNano, List<long> locators)
    {
        Lookups.Add((kind, kind == IndexKind.Status ? value[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : Encoding.UTF8.GetString(value)));
        foreach (var stored in _spans)
        {
            var start = (long)stored.Span.StartTimeUnixNano;
            if (start < fromUnixNano || start > toUnixNano)
            {
                continue;
            }

            var matches = kind switch
            {
                IndexKind.Service => Encoding.UTF8.GetBytes(stored.ServiceName).AsSpan().SequenceEqual(value),
                IndexKind.SpanName => Encoding.UTF8.GetBytes(stored.Span.Name).AsSpan().SequenceEqual(value),
                IndexKind.Status => value.Length == 1 && (int)(stored.Span.Status?.Code ?? 0) == value[0],
                IndexKind.TraceId => stored.Span.TraceId.Span.SequenceEqual(value),
                IndexKind.Kind => SpanIndexValues.Kind(stored.Span.Kind).AsSpan().SequenceEqual(value),
                _ => false,
            };
            if (matches)
            {
                locators.Add(stored.Locator);
            }
        }
    }

    public StoredSpan? Read(long locator) => locator >= 0 && locator < _spans.Count ? _spans[(int)locator] : null;

    public IEnumerable<StoredSpan> ScanNewestFirst(long fromUnixNano, long toUnixNano)
    {
        ScanCount++;
        var selected = new List<StoredSpan>();
        foreach (var span in _spans)
        {
            var start = (long)span.Span.StartTimeUnixNano;
            if (start >= fromUnixNano && start <= toUnixNano)
            {
                selected.Add(span);
            }
        }

        const long minute = 60_000_000_000;
        selected.Sort((a, b) =>
        {
            var byMinute = ((long)b.Span.StartTimeUnixNano / minute).CompareTo((long)a.Span.StartTimeUnixNano / minute);
            return byMinute != 0 ? byMinute : a.Span.StartTimeUnixNano.CompareTo(b.Span.StartTimeUnixNano);
        });
        return selected;
    }

    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> TagNames()
    {
        var resource = new SortedSet<string>(StringComparer.Ordinal);
        var span = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var stored in _spans)
        {
            foreach (var attribute in stored.Resource.Attributes)
            {
                resource.Add(attribute.Key);
            }

            foreach (var attribute in stored.Span.Attributes)
            {
                span.Add(attribute.Key);
            }
        }

        return new Dictionary<string, IReadOnlyCollection<string>> { ["resource"] = resource, ["span"] = span };
    }

    public IReadOnlyCollection<string> TagValues(string scope, string name)
    {
        var values = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var stored in _spans)
        {
            var attributes = scope == "resource" ? stored.Resource.Attributes : stored.Span.Attributes;
            foreach (var attribute in attributes)
            {
                if (attribute.Key == name && attribute.Value is not null)
                {
                    var value = attribute.Value;
                    values.Add(value.ValueCase switch
                    {
                        OpenTelemetry.Proto.Common.V1.AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        OpenTelemetry.Proto.Common.V1.AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
                        _ => value.StringValue,
                    });
                }
            }
        }

        return values;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
