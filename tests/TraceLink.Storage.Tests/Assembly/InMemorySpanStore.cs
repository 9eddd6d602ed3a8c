using OpenTelemetry.Proto.Collector.Trace.V1;

using TraceLink.Storage.Assembly;
using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tests.Assembly;

/// <summary>
/// Test double of <see cref="ISpanStore"/>: locators grow in append order like span-log addresses, and the
/// correlation index holds exactly the keys <see cref="CorrelationIndexKeys"/> lists, encoded as IndexKind documents.
/// Observers are called on append in locator order, as the real store calls them.
/// </summary>
internal sealed class InMemorySpanStore : ISpanStore
{
    private readonly List<StoredSpan> _spans = [];
    private readonly Dictionary<long, StoredSpan> _byLocator = [];
    private readonly Dictionary<string, List<(long Start, long Locator)>> _index = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<ISpanIndexObserver> _observers;
    private readonly Lock _lock = new();
    private long _nextLocator = 64;

    public InMemorySpanStore(params ISpanIndexObserver[] observers)
    {
        _observers = observers;
    }

    public int Count => _spans.Count;

    public ValueTask<int> AppendAsync(ExportTraceServiceRequest request, CancellationToken cancellationToken)
    {
        var keys = new List<CorrelationKey>();
        var count = 0;
        lock (_lock)
        {
            foreach (var resourceSpans in request.ResourceSpans)
            {
                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    foreach (var span in scopeSpans.Spans)
                    {
                        var stored = new StoredSpan(_nextLocator, resourceSpans.Resource, scopeSpans.Scope, span);

                        // Like span-log addresses: increasing, not dense.
                        _nextLocator += 96 + span.CalculateSize();
                        _spans.Add(stored);
                        _byLocator[stored.Locator] = stored;
                        keys.Clear();
                        CorrelationIndexKeys.Collect(stored, keys);
                        foreach (var key in keys)
                        {
                            var name = Name(key.Kind, key.Value);
                            if (!_index.TryGetValue(name, out var postings))
                            {
                                postings = [];
                                _index[name] = postings;
                            }

                            postings.Add(((long)span.StartTimeUnixNano, stored.Locator));
                        }

                        foreach (var observer in _observers)
                        {
                            observer.OnSpanAppended(stored);
                        }

                        count++;
                    }
                }
            }
        }

        return ValueTask.FromResult(count);
    }

    public IReadOnlyList<StoredSpan> GetTrace(ReadOnlySpan<byte> traceId)
    {
        var locators = new List<long>();
        Lookup(IndexKind.TraceId, traceId, long.MinValue, long.MaxValue, locators);
        var spans = new List<StoredSpan>(locators.Count);
        foreach (var locator in locators)
        {
            spans.Add(_byLocator[locator]);
        }

        return spans;
    }

    public void Lookup(IndexKind kind, ReadOnlySpan<byte> value, long fromUnixNano, long toUnixNano, List<long> locators)
    {
        lock (_lock)
        {
            if (_index.TryGetValue(Name(kind, value), out var postings))
            {
                foreach (var (start, locator) in postings)
                {
                    if (start >= fromUnixNano && start <= toUnixNano)
                    {
                        locators.Add(locator);
                    }
                }
            }
        }
    }

    public StoredSpan? Read(long locator)
    {
        lock (_lock)
        {
            return _byLocator.GetValueOrDefault(locator);
        }
    }

    public IEnumerable<StoredSpan> ScanNewestFirst(long fromUnixNano, long toUnixNano)
    {
        List<StoredSpan> copy;
        lock (_lock)
        {
            copy = [.. _spans];
        }

        copy.Sort((a, b) => b.Span.StartTimeUnixNano.CompareTo(a.Span.StartTimeUnixNano));
        foreach (var span in copy)
        {
            var start = (long)span.Span.StartTimeUnixNano;
            if (start >= fromUnixNano && start <= toUnixNano)
            {
                yield return span;
            }
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyCollection<string>> TagNames() => new Dictionary<string, IReadOnlyCollection<string>>();

    public IReadOnlyCollection<string> TagValues(string scope, string name) => [];

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string Name(IndexKind kind, ReadOnlySpan<byte> value) => ((byte)kind).ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Convert.ToHexString(value);
}
