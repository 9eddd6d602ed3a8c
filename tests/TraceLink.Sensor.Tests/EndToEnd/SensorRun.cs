namespace TraceLink.Sensor.Tests.EndToEnd;

/// <summary>A sensor running in the test process, exporting into a <see cref="SpanCollector"/>.</summary>
internal sealed class SensorRun : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    private SensorRun(SensorOptions options)
    {
        Host = new SensorHost(options);
    }

    public SensorHost Host { get; }

    public SpanCollector Spans { get; } = new();

    /// <summary>Starts a sensor that traces this process (TraceSelf) on the given ports.</summary>
    public static async Task<SensorRun> StartAsync(Action<SensorOptions> configure)
    {
        var options = new SensorOptions { TraceSelf = true, FlushInterval = TimeSpan.FromMilliseconds(50) };
        configure(options);
        var run = new SensorRun(options);
        run._run = run.Host.RunAsync(run.Spans.Sink, run._stop.Token);
        await run.Host.Started.WaitAsync(TimeSpan.FromSeconds(30));
        return run;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        Host.Dispose();
        _stop.Dispose();
    }
}
