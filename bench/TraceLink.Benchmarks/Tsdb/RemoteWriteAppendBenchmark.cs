using Google.Protobuf.Collections;

using TraceLink.Ingest.RemoteWrite;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Benchmarks.Tsdb;

/// <summary>
/// What the remote-write append benchmarks share: a throwaway TSDB, the wire decoder feeding its series-key appender,
/// and the label conversion of the generated-protobuf baseline (the handler before the key path).
/// </summary>
public abstract class RemoteWriteAppendBenchmark : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tsdb-append-bench-" + Guid.NewGuid().ToString("N"));
    private readonly RemoteWriteDecoder _decoder = new();
    private ISeriesKeyAppender _appender = null!;

    /// <summary>The store under test, opened by <see cref="OpenStore"/>.</summary>
    protected TsdbStore Store { get; private set; } = null!;

    [BenchmarkDotNet.Attributes.GlobalCleanup]
    public void Dispose()
    {
        Store.Dispose();
        Directory.Delete(_dir, true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Opens the store with options for data written far from now.</summary>
    protected void OpenStore(Func<string, TsdbOptions> options)
    {
        Store = new TsdbStore(options(_dir));
        _appender = (ISeriesKeyAppender)Store.Appender();
    }

    /// <summary>Decodes a 1.0 body straight into the store's series-key appender and commits it.</summary>
    protected void DecodeAndCommit(byte[] body)
    {
        _decoder.DecodeV1(body, _appender);
        var commit = _appender.CommitAsync(CancellationToken.None);
        if (!commit.IsCompletedSuccessfully)
        {
            commit.AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>A label array per message, as the generated-protobuf path builds it.</summary>
    protected static Label[] Labels(RepeatedField<Prometheus.Label> labels)
    {
        var result = new Label[labels.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = new Label(labels[i].Name, labels[i].Value);
        }

        return result;
    }
}
