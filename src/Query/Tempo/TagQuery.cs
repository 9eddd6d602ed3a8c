using TraceLink.Query.TraceQL;

namespace TraceLink.Query.Tempo;

/// <summary>
/// Turns legacy <c>tags</c> search pairs into one spanset filter: all pairs must hold on the same span.
/// <c>name</c> is the span name, <c>status.code</c>/<c>status</c> the status, <c>error=true</c> means status error,
/// <c>service.name</c> the resource service; other keys match a span or resource attribute by its string form.
/// </summary>
internal static class TagQuery
{
    public static TraceQLQuery Build(List<KeyValuePair<string, string>> pairs)
    {
        FieldExpression? root = null;
        var referenced = new List<FieldExpression>();
        foreach (var (key, value) in pairs)
        {
            var condition = Condition(key, value, referenced);
            root = root is null ? condition : new BinaryExpression(Operator.And, root, condition);
        }

        return new TraceQLQuery(new SpansetFilter(root), [], referenced);
    }

    private static BinaryExpression Condition(string key, string value, List<FieldExpression> referenced)
    {
        var text = new LiteralExpression(Static.FromString(value));
        switch (key)
        {
            case "name":
                return new BinaryExpression(Operator.LooseEq, new IntrinsicExpression(Intrinsic.Name, "name"), text);
            case "status.code" or "status" when StatusOf(value) is { } code:
                var status = new IntrinsicExpression(Intrinsic.Status, "status");
                referenced.Add(status);
                return new BinaryExpression(Operator.Eq, status, new LiteralExpression(Static.FromStatus(code)));
            case "error" when value == "true":
                var error = new IntrinsicExpression(Intrinsic.Status, "status");
                referenced.Add(error);
                return new BinaryExpression(Operator.Eq, error, new LiteralExpression(Static.FromStatus(2)));
            case "service.name":
                var service = new AttributeExpression(AttributeScope.Resource, key);
                referenced.Add(service);
                return new BinaryExpression(Operator.LooseEq, service, text);
            default:
                var attribute = new AttributeExpression(AttributeScope.Unscoped, key);
                referenced.Add(attribute);
                return new BinaryExpression(Operator.LooseEq, attribute, text);
        }
    }

    private static int? StatusOf(string value) => value switch
    {
        "unset" or "0" or "STATUS_CODE_UNSET" => 0,
        "ok" or "1" or "STATUS_CODE_OK" => 1,
        "error" or "2" or "STATUS_CODE_ERROR" => 2,
        _ => null,
    };
}
