using System.Buffers.Binary;

using TraceLink.Storage.Assembly;
using TraceLink.Storage.Tests.Assembly.Scenarios;

namespace TraceLink.Storage.Tests.Assembly;

/// <summary>Parent-edge precision and recall of assembled traces against a scenario's ground truth.</summary>
internal sealed class EdgeScore(Scenario scenario)
{
    public int TrueEdges { get; private set; }

    public int PredictedEdges { get; private set; }

    public int CorrectEdges { get; private set; }

    public int ForeignSpans { get; private set; }

    public int MissingSpans { get; private set; }

    public int MissingTraces { get; private set; }

    public Dictionary<string, int> WrongByKey { get; } = [];

    /// <summary>Missed true edges by "child span name ← parent span name".</summary>
    public Dictionary<string, int> Missed { get; } = [];

    public double Precision => PredictedEdges == 0 ? 0 : (double)CorrectEdges / PredictedEdges;

    public double Recall => TrueEdges == 0 ? 0 : (double)CorrectEdges / TrueEdges;

    public void Add(ScenarioTrace trace, AssembledTrace? assembled)
    {
        foreach (var gid in trace.Gids)
        {
            if (scenario.TrueParent.ContainsKey(gid))
            {
                TrueEdges++;
            }
        }

        if (assembled is null)
        {
            MissingTraces++;
            MissingSpans += trace.Gids.Count;
            return;
        }

        var gidBySpanId = new Dictionary<ulong, int>();
        foreach (var span in assembled.Spans)
        {
            gidBySpanId[BinaryPrimitives.ReadUInt64BigEndian(span.Span.SpanId.Span)] = Gid(span.Span);
        }

        var byGid = new Dictionary<int, OpenTelemetry.Proto.Trace.V1.Span>();
        foreach (var span in assembled.Spans)
        {
            byGid[Gid(span.Span)] = span.Span;
        }

        foreach (var gid in trace.Gids)
        {
            if (scenario.TrueParent.TryGetValue(gid, out var truth) && byGid.TryGetValue(gid, out var child) && byGid.TryGetValue(truth, out var parentSpan)
                && (child.ParentSpanId.Length != 8 || !child.ParentSpanId.Equals(parentSpan.SpanId)))
            {
                var name = $"{child.Name}/{child.Kind} <- {parentSpan.Name}/{parentSpan.Kind}";
                Missed[name] = Missed.GetValueOrDefault(name) + 1;
            }
        }

        var present = 0;
        foreach (var span in assembled.Spans)
        {
            var gid = Gid(span.Span);
            var inTrace = scenario.TraceOf[gid] == trace.Index;
            if (inTrace)
            {
                present++;
            }
            else
            {
                ForeignSpans++;
            }

            if (span.Span.ParentSpanId.Length != 8
                || !gidBySpanId.TryGetValue(BinaryPrimitives.ReadUInt64BigEndian(span.Span.ParentSpanId.Span), out var parent))
            {
                continue;
            }

            PredictedEdges++;
            if (inTrace && scenario.TrueParent.TryGetValue(gid, out var truth) && truth == parent)
            {
                CorrectEdges++;
            }
            else
            {
                var key = LinkKey(span.Span) ?? "sdk-span";
                WrongByKey[key] = WrongByKey.GetValueOrDefault(key) + 1;
            }
        }

        MissingSpans += trace.Gids.Count - present;
    }

    public override string ToString() =>
        $"precision {Precision:P2} ({CorrectEdges}/{PredictedEdges}), recall {Recall:P2} ({CorrectEdges}/{TrueEdges}), " +
        $"foreign spans {ForeignSpans}, missing spans {MissingSpans}, missing traces {MissingTraces}, wrong edges by key: " +
        string.Join(", ", WrongByKey.Select(pair => $"{pair.Key}={pair.Value}")) + "; missed: " +
        string.Join(", ", Missed.Select(pair => $"[{pair.Key}]={pair.Value}"));

    public static int Gid(OpenTelemetry.Proto.Trace.V1.Span span)
    {
        foreach (var attribute in span.Attributes)
        {
            if (attribute.Key == ScenarioGenerator.GidAttribute)
            {
                return (int)attribute.Value.IntValue;
            }
        }

        throw new InvalidOperationException("span without a scenario gid");
    }

    private static string? LinkKey(OpenTelemetry.Proto.Trace.V1.Span span)
    {
        foreach (var attribute in span.Attributes)
        {
            if (attribute.Key == Protocol.Spans.SpanAttributeNames.LinkKey)
            {
                return attribute.Value.StringValue;
            }
        }

        return null;
    }
}
