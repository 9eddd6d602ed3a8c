using System.Globalization;

using Google.Protobuf.Collections;

using OpenTelemetry.Proto.Common.V1;
using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Storage.Spans;

namespace TraceLink.Query.TraceQL;

/// <summary>
/// A TraceQL value: a literal or an attribute/intrinsic read from a span. Integers, durations (ns),
/// status codes and kinds (OTLP enum numbers) share <see cref="Long"/>.
/// </summary>
internal readonly struct Static
{
    private Static(StaticType type, long longValue, double doubleValue, object? reference)
    {
        Type = type;
        Long = longValue;
        Double = doubleValue;
        Reference = reference;
    }

    public StaticType Type { get; }

    public long Long { get; }

    public double Double { get; }

    /// <summary>The string for <see cref="StaticType.String"/>, the values for <see cref="StaticType.Array"/>.</summary>
    public object? Reference { get; }

    public string String => (string)Reference!;

    public bool Bool => Long != 0;

    public static Static Nil => default;

    public static Static FromInt(long value) => new(StaticType.Int, value, 0, null);

    public static Static FromFloat(double value) => new(StaticType.Float, 0, value, null);

    public static Static FromString(string value) => new(StaticType.String, 0, 0, value);

    public static Static FromBool(bool value) => new(StaticType.Bool, value ? 1 : 0, 0, null);

    public static Static FromDuration(long nanoseconds) => new(StaticType.Duration, nanoseconds, 0, null);

    public static Static FromStatus(int code) => new(StaticType.Status, code, 0, null);

    public static Static FromKind(int kind) => new(StaticType.Kind, kind, 0, null);

    /// <summary>Converts an OTLP attribute value; kvlists and bytes are not comparable and read as nil.</summary>
    public static Static FromAnyValue(AnyValue? value) => value?.ValueCase switch
    {
        AnyValue.ValueOneofCase.StringValue => FromString(value.StringValue),
        AnyValue.ValueOneofCase.IntValue => FromInt(value.IntValue),
        AnyValue.ValueOneofCase.DoubleValue => FromFloat(value.DoubleValue),
        AnyValue.ValueOneofCase.BoolValue => FromBool(value.BoolValue),
        AnyValue.ValueOneofCase.ArrayValue => new(StaticType.Array, 0, 0, value.ArrayValue.Values),
        _ => Nil,
    };

    public RepeatedField<AnyValue> ArrayValues => (RepeatedField<AnyValue>)Reference!;

    /// <summary>Status keyword for an OTLP status code (0 unset, 1 ok, 2 error).</summary>
    public static string StatusName(long code) => code switch
    {
        1 => "ok",
        2 => "error",
        _ => "unset",
    };

    /// <summary>Kind keyword for an OTLP span kind number.</summary>
    public static string KindName(long kind) => SpanIndexValues.KindName((Span.Types.SpanKind)kind);

    /// <summary>OTLP status code for a status keyword, or -1.</summary>
    public static int StatusCode(string keyword) => keyword switch
    {
        "unset" => 0,
        "ok" => 1,
        "error" => 2,
        _ => -1,
    };

    /// <summary>OTLP span kind number for a kind keyword, or -1.</summary>
    public static int KindCode(string keyword) => keyword switch
    {
        "unspecified" => 0,
        "internal" => 1,
        "server" => 2,
        "client" => 3,
        "producer" => 4,
        "consumer" => 5,
        _ => -1,
    };

    /// <summary>The value as a string the way legacy tag search and tag values see it.</summary>
    public string? ToLooseString() => Type switch
    {
        StaticType.String => String,
        StaticType.Int => Long.ToString(CultureInfo.InvariantCulture),
        StaticType.Float => Double.ToString("R", CultureInfo.InvariantCulture),
        StaticType.Bool => Bool ? "true" : "false",
        StaticType.Status => StatusName(Long),
        StaticType.Kind => KindName(Long),
        StaticType.Duration => DurationParser.Format(Long),
        _ => null,
    };

    public override string ToString() => ToLooseString() ?? (Type == StaticType.Nil ? "nil" : Type.ToString().ToLowerInvariant());
}
