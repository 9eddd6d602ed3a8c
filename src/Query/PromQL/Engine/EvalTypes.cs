using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>A series being built during evaluation.</summary>
internal sealed class EvalSeries(Label[] metric)
{
    public Label[] Metric = metric;
    public List<FloatPoint>? Floats;
    public List<HistogramPoint>? Histograms;
    public bool DropName;

    public void Add(long t, double f, FloatHistogram? h)
    {
        if (h != null)
        {
            (Histograms ??= []).Add(new HistogramPoint(t, h));
        }
        else
        {
            (Floats ??= []).Add(new FloatPoint(t, f));
        }
    }

    public int Count => (Floats?.Count ?? 0) + (Histograms?.Count ?? 0);
}

/// <summary>One element of an instant vector at a step.</summary>
internal struct Sample
{
    public Label[] Metric;
    public double F;
    public FloatHistogram? H;
    public bool DropName;

    public Sample(Label[] metric, double f, FloatHistogram? h, bool dropName)
    {
        Metric = metric;
        F = f;
        H = h;
        DropName = dropName;
    }
}

internal abstract class Value;

internal sealed class MatrixValue(List<EvalSeries> series) : Value
{
    public List<EvalSeries> Series { get; } = series;
}

internal sealed class ScalarValue(double[] values) : Value
{
    public double[] Values { get; } = values;
}

internal sealed class StringValue(string value) : Value
{
    public string Text { get; } = value;
}
