using Microsoft.Extensions.Logging;

using TraceLink.Storage.Spans;

namespace TraceLink.Storage.Tests.Spans;

/// <summary>A temporary data directory plus small, explicit store sizes so tests exercise page and chunk limits.</summary>
internal sealed class StoreFixture : IDisposable
{
    public StoreFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "tracelink-spans-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public ListLogger Logger { get; } = new();

    public string LogDirectory => Path.Combine(Directory, "spans", "log");

    public SpanStoreOptions Options(Action<SpanStoreOptions>? configure = null)
    {
        var options = new SpanStoreOptions
        {
            DataDirectory = Directory,
            LogPageSize = 1L << 16,
            LogMemorySize = 1L << 20,
            LogSegmentSize = 1L << 20,
            IndexTableSize = 1L << 16,
            IndexMemorySize = 1L << 23,
            IndexPageSize = 1L << 20,
            IndexSegmentSize = 1L << 22,
            MaxPostingsPerChunk = 1024,
            CheckpointInterval = TimeSpan.FromHours(1),
            RetentionInterval = TimeSpan.FromHours(1),
        };
        configure?.Invoke(options);
        return options;
    }

    public FasterSpanStore Open(Action<SpanStoreOptions>? configure = null) => FasterSpanStore.Open(Options(configure), Logger);

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}

/// <summary>Collects log lines so tests can assert that a condition was reported.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, EventId Id, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, EventId Id, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries)
        {
            _entries.Add((logLevel, eventId, formatter(state, exception)));
        }
    }
}
