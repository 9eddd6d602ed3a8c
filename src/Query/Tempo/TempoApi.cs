using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

using Google.Protobuf;

using Microsoft.AspNetCore.Http;

using OpenTelemetry.Proto.Trace.V1;

using TraceLink.Query.TraceQL;
using TraceLink.Storage.Spans;

namespace TraceLink.Query.Tempo;

/// <summary>Request handlers of the Tempo-compatible API; wire shapes follow the Tempo contract (shared/contracts/tempo.md).</summary>
internal sealed class TempoApi(ISpanStore store, ITraceReader traces, TempoApiOptions options)
{
    private const string ProtobufContentType = "application/protobuf";
    private const string JsonContentType = "application/json";
    private const string TextContentType = "text/plain; charset=utf-8";
    private const string InvalidTagName = "please provide a valid tagName: tag name is not valid intrinsic or scoped attribute";

    // Relaxed escaping keeps '<root span not yet received>' and URLs readable; the output is still valid JSON.
    private static readonly JsonWriterOptions s_jsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TraceSearcher _searcher = new(store, traces, options);

    public async Task TraceV1Async(HttpContext context, string id)
    {
        var spans = FindTrace(context, id, out var error);
        if (error is not null)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }

        if (spans.Count == 0)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var data = TraceAssembler.Assemble(spans);
        if (WantsProtobuf(context.Request))
        {
            // tempopb.Trace is wire-identical to OTLP TracesData (repeated ResourceSpans = 1).
            await WriteBytesAsync(context, ProtobufContentType, data.ToByteArray()).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, writer =>
        {
            // Tempo renames the top-level field of tempopb.Trace to "batches" in v1 JSON for compatibility.
            writer.WriteStartObject();
            writer.WriteStartArray("batches");
            foreach (var resourceSpans in data.ResourceSpans)
            {
                OtlpJsonWriter.WriteResourceSpans(writer, resourceSpans);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public async Task TraceV2Async(HttpContext context, string id)
    {
        var spans = FindTrace(context, id, out var error);
        if (error is not null)
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, error).ConfigureAwait(false);
            return;
        }

        // An unknown trace is 200 with an empty trace, like Tempo; field 1 is always present.
        var data = spans.Count == 0 ? new TracesData() : TraceAssembler.Assemble(spans);
        var inspectedBytes = (ulong)data.CalculateSize();
        if (WantsProtobuf(context.Request))
        {
            await WriteBytesAsync(context, ProtobufContentType, EncodeTraceByIdResponse(data, inspectedBytes)).ConfigureAwait(false);
            return;
        }

        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("trace");
            if (data.ResourceSpans.Count > 0)
            {
                writer.WriteStartArray("resourceSpans");
                foreach (var resourceSpans in data.ResourceSpans)
                {
                    OtlpJsonWriter.WriteResourceSpans(writer, resourceSpans);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteStartObject("metrics");
            if (inspectedBytes > 0)
            {
                writer.WriteString("inspectedBytes", inspectedBytes.ToString(CultureInfo.InvariantCulture));
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// <c>tempopb.TraceByIDResponse { Trace trace = 1; TraceByIDMetrics metrics = 2; }</c> with
    /// <c>TraceByIDMetrics { uint64 inspectedBytes = 1; }</c>, hand-encoded around the OTLP bytes.
    /// </summary>
    internal static byte[] EncodeTraceByIdResponse(TracesData data, ulong inspectedBytes)
    {
        var traceSize = data.CalculateSize();
        var metricsSize = inspectedBytes == 0 ? 0 : 1 + CodedOutputStream.ComputeUInt64Size(inspectedBytes);
        var total = 1 + CodedOutputStream.ComputeLengthSize(traceSize) + traceSize
            + 1 + CodedOutputStream.ComputeLengthSize(metricsSize) + metricsSize;
        var buffer = new byte[total];
        var output = new CodedOutputStream(buffer);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteMessage(data);
        output.WriteTag(2, WireFormat.WireType.LengthDelimited);
        output.WriteLength(metricsSize);
        if (inspectedBytes > 0)
        {
            output.WriteTag(1, WireFormat.WireType.Varint);
            output.WriteUInt64(inspectedBytes);
        }

        output.Flush();
        return buffer;
    }

    public async Task SearchAsync(HttpContext context)
    {
        if (!SearchRequestParser.TryParse(context.Request.Query, options, out var parameters, out var error))
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
            return;
        }

        var outcome = _searcher.Search(parameters!, context.RequestAborted);
        await WriteJsonAsync(context, writer => SearchResponseWriter.Write(writer, outcome, parameters!)).ConfigureAwait(false);
    }

    public async Task TagNamesV1Async(HttpContext context)
    {
        var limit = ParseTagLimit(context.Request.Query);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (_, scopeNames) in store.TagNames())
        {
            names.UnionWith(scopeNames);
        }

        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("tagNames");
            var written = 0;
            foreach (var name in names)
            {
                if (written++ == limit)
                {
                    break;
                }

                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
            writer.WriteStartObject("metrics");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public async Task TagNamesV2Async(HttpContext context)
    {
        var scope = context.Request.Query["scope"].ToString();
        if (scope is not ("" or "none" or "resource" or "span" or "intrinsic" or "event" or "link" or "instrumentation" or "trace"))
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, "invalid scope: " + scope).ConfigureAwait(false);
            return;
        }

        var limit = ParseTagLimit(context.Request.Query);
        var all = scope is "" or "none";
        var stored = store.TagNames();
        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("scopes");
            foreach (var name in (string[])["resource", "span"])
            {
                if (all || scope == name)
                {
                    var tags = new SortedSet<string>(StringComparer.Ordinal);
                    if (stored.TryGetValue(name, out var names))
                    {
                        tags.UnionWith(names);
                    }

                    WriteScope(writer, name, tags, limit);
                }
            }

            if (all || scope == "intrinsic")
            {
                WriteScope(writer, "intrinsic", TempoIntrinsics.Names, int.MaxValue);
            }

            if (scope is "event" or "link" or "instrumentation")
            {
                WriteScope(writer, scope, [], limit);
            }

            writer.WriteEndArray();
            writer.WriteStartObject("metrics");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public async Task TagValuesV1Async(HttpContext context, string tag)
    {
        var limit = ParseTagLimit(context.Request.Query);
        var values = new SortedSet<string>(StringComparer.Ordinal);
        if (tag == "status.code")
        {
            values.UnionWith(["unset", "ok", "error"]);
        }
        else
        {
            values.UnionWith(store.TagValues("resource", tag));
            values.UnionWith(store.TagValues("span", tag));
            if (tag == "name")
            {
                if (!SearchRequestParser.TryParseRange(context.Request.Query, options, out var from, out var to, out var error))
                {
                    await WriteTextAsync(context, StatusCodes.Status400BadRequest, error!).ConfigureAwait(false);
                    return;
                }

                ScanIntrinsicValues(Intrinsic.Name, from, to, limit, values);
            }
        }

        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("tagValues");
            var written = 0;
            foreach (var value in values)
            {
                if (written++ == limit)
                {
                    break;
                }

                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
            writer.WriteStartObject("metrics");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public async Task TagValuesV2Async(HttpContext context, string tag)
    {
        var limit = ParseTagLimit(context.Request.Query);
        if (!SearchRequestParser.TryParseRange(context.Request.Query, options, out var from, out var to, out var rangeError))
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, rangeError!).ConfigureAwait(false);
            return;
        }

        var typed = new List<(string Type, string Value)>();
        if (!TryParseTagIdentifier(tag, out var field))
        {
            await WriteTextAsync(context, StatusCodes.Status400BadRequest, InvalidTagName).ConfigureAwait(false);
            return;
        }

        switch (field)
        {
            case AttributeExpression attribute:
                var values = new SortedSet<string>(StringComparer.Ordinal);
                if (attribute.Scope is AttributeScope.Resource or AttributeScope.Unscoped)
                {
                    values.UnionWith(store.TagValues("resource", attribute.Name));
                }

                if (attribute.Scope is AttributeScope.Span or AttributeScope.Unscoped)
                {
                    values.UnionWith(store.TagValues("span", attribute.Name));
                }

                foreach (var value in values)
                {
                    if (value.Length > 0)
                    {
                        typed.Add((GuessType(value), value));
                    }
                }

                break;
            case IntrinsicExpression { Intrinsic: Intrinsic.Status }:
                foreach (var value in TempoIntrinsics.StatusValues)
                {
                    typed.Add(("keyword", value));
                }

                break;
            case IntrinsicExpression { Intrinsic: Intrinsic.Kind }:
                foreach (var value in TempoIntrinsics.KindValues)
                {
                    typed.Add(("keyword", value));
                }

                break;
            case IntrinsicExpression { Intrinsic: Intrinsic.Name or Intrinsic.RootName or Intrinsic.RootServiceName or Intrinsic.StatusMessage or Intrinsic.InstrumentationName or Intrinsic.InstrumentationVersion } intrinsic:
                var scanned = new SortedSet<string>(StringComparer.Ordinal);
                ScanIntrinsicValues(intrinsic.Intrinsic, from, to, limit, scanned);
                foreach (var value in scanned)
                {
                    typed.Add(("string", value));
                }

                break;
            default:
                // Durations, ids and intrinsics TraceLink does not evaluate have no value list (Tempo: empty).
                break;
        }

        await WriteJsonAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("tagValues");
            for (var i = 0; i < typed.Count && i < limit; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("type", typed[i].Type);
                writer.WriteString("value", typed[i].Value);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartObject("metrics");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }).ConfigureAwait(false);
    }

    public static Task EchoAsync(HttpContext context) => WriteTextAsync(context, StatusCodes.Status200OK, "echo\n");

    public Task BuildInfoAsync(HttpContext context) => WriteJsonAsync(context, writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("version", options.Version);
        writer.WriteString("revision", typeof(TempoApi).Assembly.ManifestModule.ModuleVersionId.ToString("N")[..7]);
        writer.WriteString("branch", "main");
        writer.WriteString("buildUser", "tracelink");
        writer.WriteString("buildDate", File.GetLastWriteTimeUtc(typeof(TempoApi).Assembly.Location).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        writer.WriteString("goVersion", "dotnet" + Environment.Version.ToString(2));
        writer.WriteEndObject();
    });

    /// <summary>
    /// Parses a v2 tag-values identifier: <c>resource.x</c>, <c>span.x</c>, <c>.x</c> or an intrinsic
    /// (<c>name</c>, <c>span:status</c>, ...). Bare names like <c>app.user.id</c> are rejected as in Tempo.
    /// </summary>
    internal static bool TryParseTagIdentifier(string tag, out FieldExpression? field)
    {
        field = null;
        var isKnownIntrinsic = Array.IndexOf(TempoIntrinsics.Names, tag) >= 0;
        List<Token> tokens;
        try
        {
            tokens = Lexer.Tokenize(tag);
        }
        catch (TraceQLParseException)
        {
            return false;
        }

        if (tokens.Count != 2)
        {
            return isKnownIntrinsic;
        }

        var token = tokens[0];
        if (token.Kind == TokenKind.Attribute)
        {
            field = new AttributeExpression(token.Scope, token.Text);
            return true;
        }

        if (token.Kind == TokenKind.Intrinsic)
        {
            if (IntrinsicExpression.Resolve(token.Text) is { } intrinsic)
            {
                field = new IntrinsicExpression(intrinsic, token.Text);
                return true;
            }

            return isKnownIntrinsic;
        }

        return false;
    }

    private void ScanIntrinsicValues(Intrinsic intrinsic, long from, long to, int limit, SortedSet<string> values)
    {
        var expression = new IntrinsicExpression(intrinsic, string.Empty);
        var rootOnly = intrinsic is Intrinsic.RootName or Intrinsic.RootServiceName;
        var scanned = 0;
        foreach (var stored in store.ScanNewestFirst(from, to))
        {
            if (++scanned > options.TagValuesScanSpans || values.Count >= limit)
            {
                break;
            }

            if (rootOnly && !stored.Span.ParentSpanId.IsEmpty)
            {
                continue;
            }

            var value = intrinsic switch
            {
                Intrinsic.RootName => stored.Span.Name,
                Intrinsic.RootServiceName => stored.ServiceName,
                _ => expression.Evaluate(new StoredSpanView(stored, EmptyTrace)).ToLooseString(),
            };
            if (!string.IsNullOrEmpty(value))
            {
                values.Add(value);
            }
        }
    }

    private static readonly TraceView EmptyTrace = new([]);

    /// <summary>
    /// The store keeps attribute values as strings; numbers and booleans are typed so Grafana's builder writes
    /// them unquoted and TraceQL compares them as numbers.
    /// </summary>
    private static string GuessType(string value)
    {
        if (value is "true" or "false")
        {
            return "bool";
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            return "int";
        }

        return value.Contains('.', StringComparison.Ordinal)
            && double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _)
            ? "float"
            : "string";
    }

    private static int ParseTagLimit(IQueryCollection query) =>
        int.TryParse(query["limit"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0
            ? limit
            : int.MaxValue;

    private static void WriteScope(Utf8JsonWriter writer, string name, IEnumerable<string> tags, int limit)
    {
        writer.WriteStartObject();
        writer.WriteString("name", name);
        writer.WriteStartArray("tags");
        var written = 0;
        foreach (var tag in tags)
        {
            if (written++ == limit)
            {
                break;
            }

            writer.WriteStringValue(tag);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private IReadOnlyList<StoredSpan> FindTrace(HttpContext context, string id, out string? error)
    {
        Span<byte> traceId = stackalloc byte[16];
        if (!TraceIdHex.TryParse(id, traceId, out error))
        {
            return [];
        }

        var query = context.Request.Query;
        if (!TryParseInt(query, "start", out var start, out error) || !TryParseInt(query, "end", out var end, out error))
        {
            return [];
        }

        if (start > 0 && end > 0 && end <= start)
        {
            error = $"http parameter start must be before end. received start={start} end={end}";
            return [];
        }

        // start/end only narrow where Tempo looks; a lookup by id is exact, so the range is validated, not applied.
        return traces.GetTrace(traceId);
    }

    private static bool TryParseInt(IQueryCollection query, string name, out long value, out string? error)
    {
        value = 0;
        error = null;
        var text = query[name].ToString();
        if (text.Length == 0)
        {
            return true;
        }

        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
        {
            error = $"invalid {name}: strconv.ParseInt: parsing \"{text}\": invalid syntax";
            return false;
        }

        return true;
    }

    private static bool WantsProtobuf(HttpRequest request)
    {
        foreach (var accept in request.Headers.Accept)
        {
            if (accept is not null && accept.Contains(ProtobufContentType, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = TextContentType;
        await context.Response.WriteAsync(text, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteBytesAsync(HttpContext context, string contentType, byte[] body)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task WriteJsonAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = JsonContentType;
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, s_jsonOptions);
        write(writer);
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
