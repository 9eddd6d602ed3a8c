namespace TraceLink.Query.TraceQL;

/// <summary>An intrinsic field such as <c>name</c>, <c>duration</c> or <c>trace:rootService</c>.</summary>
internal sealed class IntrinsicExpression(Intrinsic intrinsic, string text) : FieldExpression
{
    public Intrinsic Intrinsic { get; } = intrinsic;

    /// <summary>The spelling used in the query.</summary>
    public string Text { get; } = text;

    public override Static Evaluate(StoredSpanView span)
    {
        var s = span.Stored.Span;
        switch (Intrinsic)
        {
            case Intrinsic.Name:
                return Static.FromString(s.Name);
            case Intrinsic.Status:
                return Static.FromStatus(s.Status is null ? 0 : (int)s.Status.Code);
            case Intrinsic.StatusMessage:
                return Static.FromString(s.Status?.Message ?? string.Empty);
            case Intrinsic.Kind:
                return Static.FromKind((int)s.Kind);
            case Intrinsic.Duration:
                return Static.FromDuration((long)(s.EndTimeUnixNano - s.StartTimeUnixNano));
            case Intrinsic.RootName:
                return span.Trace.Root is { } root ? Static.FromString(root.Span.Name) : Static.Nil;
            case Intrinsic.RootServiceName:
                return span.Trace.Root is { } rootSpan ? Static.FromString(rootSpan.ServiceName) : Static.Nil;
            case Intrinsic.TraceDuration:
                return Static.FromDuration(span.Trace.DurationNanos);
            case Intrinsic.TraceId:
                return Static.FromString(Convert.ToHexStringLower(s.TraceId.Span));
            case Intrinsic.SpanId:
                return Static.FromString(Convert.ToHexStringLower(s.SpanId.Span));
            case Intrinsic.ParentId:
                return s.ParentSpanId.IsEmpty ? Static.Nil : Static.FromString(Convert.ToHexStringLower(s.ParentSpanId.Span));
            case Intrinsic.InstrumentationName:
                return Static.FromString(span.Stored.Scope?.Name ?? string.Empty);
            case Intrinsic.InstrumentationVersion:
                return Static.FromString(span.Stored.Scope?.Version ?? string.Empty);
            default:
                throw new InvalidOperationException(Intrinsic.ToString());
        }
    }

    /// <summary>Maps a query spelling to an intrinsic; null when TraceLink does not evaluate it.</summary>
    public static Intrinsic? Resolve(string text) => text switch
    {
        "name" or "span:name" => Intrinsic.Name,
        "status" or "span:status" => Intrinsic.Status,
        "statusMessage" or "span:statusMessage" => Intrinsic.StatusMessage,
        "kind" or "span:kind" => Intrinsic.Kind,
        "duration" or "span:duration" => Intrinsic.Duration,
        "rootName" or "trace:rootName" => Intrinsic.RootName,
        "rootServiceName" or "trace:rootService" => Intrinsic.RootServiceName,
        "traceDuration" or "trace:duration" => Intrinsic.TraceDuration,
        "trace:id" => Intrinsic.TraceId,
        "span:id" => Intrinsic.SpanId,
        "span:parentID" => Intrinsic.ParentId,
        "instrumentation:name" => Intrinsic.InstrumentationName,
        "instrumentation:version" => Intrinsic.InstrumentationVersion,
        _ => null,
    };

    public override string ToString() => Text;
}
