using Google.Protobuf.Collections;

using OpenTelemetry.Proto.Common.V1;

namespace TraceLink.Query.TraceQL;

/// <summary>An attribute reference: <c>.x</c>, <c>span.x</c>, <c>resource.x</c>, <c>instrumentation.x</c>.</summary>
internal sealed class AttributeExpression(AttributeScope scope, string name) : FieldExpression
{
    public AttributeScope Scope { get; } = scope;

    public string Name { get; } = name;

    public override Static Evaluate(StoredSpanView span) => Static.FromAnyValue(Find(span));

    /// <summary>The raw attribute value, or null when the span does not carry it in this scope.</summary>
    public AnyValue? Find(StoredSpanView span)
    {
        var stored = span.Stored;
        return Scope switch
        {
            AttributeScope.Span => Find(stored.Span.Attributes, Name),
            AttributeScope.Resource => Find(stored.Resource.Attributes, Name),
            AttributeScope.Instrumentation => stored.Scope is null ? null : Find(stored.Scope.Attributes, Name),
            _ => Find(stored.Span.Attributes, Name) ?? Find(stored.Resource.Attributes, Name),
        };
    }

    private static AnyValue? Find(RepeatedField<KeyValue> attributes, string name)
    {
        for (var i = 0; i < attributes.Count; i++)
        {
            if (attributes[i].Key == name)
            {
                return attributes[i].Value;
            }
        }

        return null;
    }

    public override string ToString() => Scope switch
    {
        AttributeScope.Span => "span." + Name,
        AttributeScope.Resource => "resource." + Name,
        AttributeScope.Instrumentation => "instrumentation." + Name,
        _ => "." + Name,
    };
}
