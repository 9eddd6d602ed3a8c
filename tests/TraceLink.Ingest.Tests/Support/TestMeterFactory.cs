using System.Diagnostics.Metrics;

namespace TraceLink.Ingest.Tests.Support;

/// <summary>An <see cref="IMeterFactory"/> whose meters a <see cref="MeterListener"/> can read back, for self-metric assertions.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];
    private readonly Dictionary<string, long> _totals = new(StringComparer.Ordinal);
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();

    /// <summary>Creates the factory and starts listening to its own meters.</summary>
    public TestMeterFactory()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            lock (_gate)
            {
                if (_meters.Contains(instrument.Meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var key = instrument.Name;
            foreach (var tag in tags)
            {
                key += "|" + tag.Key + "=" + tag.Value;
            }

            lock (_gate)
            {
                _totals[key] = _totals.GetValueOrDefault(key) + value;
            }
        });
        _listener.Start();
    }

    /// <summary>Sum of the measurements of a counter, optionally of one tag combination (<c>name|k=v|k2=v2</c>).</summary>
    public long Total(string key)
    {
        lock (_gate)
        {
            return _totals.GetValueOrDefault(key);
        }
    }

    /// <inheritdoc />
    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        lock (_gate)
        {
            _meters.Add(meter);
        }

        // Instruments are published when created, after this returns; the callback checks membership then.
        return meter;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _listener.Dispose();
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}
