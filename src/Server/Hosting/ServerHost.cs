using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using OpenTelemetry.Metrics;
using TraceLink.Ingest;
using TraceLink.Ingest.DerivedLogs;
using TraceLink.Ingest.Otlp;
using TraceLink.Ingest.RemoteWrite;
using TraceLink.Ingest.SpanMetrics;
using TraceLink.Query.Loki;
using TraceLink.Query.PromQL.Api;
using TraceLink.Query.RemoteRead;
using TraceLink.Query.Tempo;
using TraceLink.Sensor;
using TraceLink.Server.Cli;
using TraceLink.Server.Explorer;
using TraceLink.Storage.Assembly;
using TraceLink.Storage.Logs;
using TraceLink.Storage.Metadata;
using TraceLink.Storage.Spans;
using TraceLink.Storage.Tsdb;

namespace TraceLink.Server.Hosting;

/// <summary>
/// Composition root of <c>tracelink serve</c>: opens the embedded stores, maps every API on one port,
/// and closes the stores after Kestrel has drained in-flight requests.
/// </summary>
internal static partial class ServerHost
{
    public static async Task<int> RunAsync(CliOptions options, CancellationToken cancellationToken)
    {
        if (options.Sensor)
        {
            SensorRunner.EnsureSupported();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Listen);
            // Ingest endpoints enforce their own limit on the decoded body and answer 413 themselves.
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(
                TraceIngestor.MeterName,
                SpanMetricsConnector.MeterName,
                DerivedLogWriter.MeterName,
                "Microsoft.AspNetCore.Hosting",
                "Microsoft.AspNetCore.Server.Kestrel")
            .AddPrometheusExporter());

        var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var meters = app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var logger = loggers.CreateLogger("TraceLink.Server");
        var dataDirectory = Path.GetFullPath(options.DataDirectory);

        using var linker = options.TraceLinking ? Open(dataDirectory, () => new TraceGroupLinker(new TraceGroupLinkerOptions { DataDirectory = dataDirectory })) : null;
        var spanOptions = new SpanStoreOptions { DataDirectory = dataDirectory, Retention = options.Retention };
        if (linker is not null)
        {
            spanOptions.Observers.Add(linker);
        }

        await using var spans = Open(dataDirectory, () => FasterSpanStore.Open(spanOptions, loggers.CreateLogger("TraceLink.Storage.Spans")));
        var traces = new TraceAssembler(spans, new TraceAssemblerOptions(), linker);
        using var series = Open(dataDirectory, () => new TsdbStore(new TsdbOptions { DataDirectory = Path.Combine(dataDirectory, "tsdb") }, loggers.CreateLogger<TsdbStore>()));
        using var logs = Open(dataDirectory, () => LogStore.Open(new LogStoreOptions { Directory = Path.Combine(dataDirectory, "logs") }));
        using var metadata = Open(dataDirectory, () => MetricMetadataStore.Open(Path.Combine(dataDirectory, "metadata")));
        await using var spanMetrics = new SpanMetricsConnector(series, new SpanMetricsOptions { FlushInterval = options.MetricsFlushInterval }, meters, logger: loggers.CreateLogger<SpanMetricsConnector>(), metadata: options.DerivedSignals ? metadata : null);
        var derivedLogs = new DerivedLogWriter(logs, new DerivedLogOptions(), meters);
        var ingestor = new TraceIngestor(spans, meters, options.DerivedSignals ? [spanMetrics, derivedLogs] : []);

        MapEndpoints(app, spans, traces, series, metadata, logs, ingestor, options);
        spanMetrics.Start();

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            throw new StartupException($"cannot listen on {options.Listen}: {e.Message}", e);
        }

        using var sensor = options.Sensor ? new SensorHost(SensorRunner.Options(options), loggers, meters) : null;
        var sensorTask = sensor is null ? Task.FromResult<string?>(null) : RunSensorAsync(sensor, ingestor, app.Lifetime);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? options.Listen.ToString();
        // The first stdout line is a contract: scripts and tests read the bound address from it.
        Console.WriteLine($"tracelink listening on {address} (data {dataDirectory}, retention {options.Retention.TotalHours:0.##}h)");
        Console.Out.Flush();
        LogStarted(logger, address);

        await app.WaitForShutdownAsync(cancellationToken);
        LogStopping(logger);
        if (await sensorTask is { } sensorFailure)
        {
            throw new StartupException(sensorFailure);
        }

        await app.DisposeAsync();
        return 0;
    }

    /// <summary>Feeds sensor spans through the same ingest path as OTLP; a sensor that cannot start stops the server.</summary>
    private static async Task<string?> RunSensorAsync(SensorHost sensor, TraceIngestor ingestor, IHostApplicationLifetime lifetime)
    {
        try
        {
            await sensor.RunAsync(async (body, ct) => await ingestor.IngestAsync(body, ct), lifetime.ApplicationStopping);
            return null;
        }
        catch (SensorException e)
        {
            lifetime.StopApplication();
            return "the sensor stopped: " + e.Message;
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return null;
        }
    }

    private static T Open<T>(string dataDirectory, Func<T> open)
    {
        try
        {
            return open();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"cannot open the stores in {dataDirectory}: {e.Message}", e);
        }
    }

    private static void MapEndpoints(WebApplication app, ISpanStore spans, ITraceReader traces, ISeriesStore series, MetricMetadataStore metadata, LogStore logs, TraceIngestor ingestor, CliOptions options)
    {
        var stopping = app.Lifetime.ApplicationStopping;
        app.MapGet("/-/healthy", () => Results.Text("TraceLink is Healthy.\n"));
        app.MapGet("/-/ready", () => stopping.IsCancellationRequested
            ? Results.Text("TraceLink is shutting down.\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("TraceLink is Ready.\n"));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapOtlpTraces(ingestor, new OtlpOptions { MaxRequestBytes = options.MaxRequestBytes });
        app.MapRemoteWrite(series, new RemoteWriteOptions { MaxBodyBytes = (int)options.MaxRequestBytes }, metadata);
        app.MapRemoteRead(series);
        app.MapPrometheusApi(series, metadata: metadata);
        app.MapTempoApi(spans, traces: traces);
        app.MapLokiApi(logs);
        app.MapExplorer();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "serving on {Address}")]
    private static partial void LogStarted(ILogger logger, string address);

    [LoggerMessage(Level = LogLevel.Information, Message = "shutting down: draining requests, then flushing and closing the stores")]
    private static partial void LogStopping(ILogger logger);
}
