using Microsoft.AspNetCore.Http;

using TraceLink.Storage.Tsdb;

namespace TraceLink.Ingest.RemoteWrite;

/// <summary>Label-set rules of the remote-write spec; a violation rejects the whole request with 400.</summary>
internal static class SeriesValidation
{
    /// <summary>Returns the label set without empty-valued labels (which Prometheus treats as absent).</summary>
    public static Label[] Validate(Label[] labels)
    {
        bool hasName = false;
        int empties = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            var l = labels[i];
            if (l.Name.Length == 0)
            {
                Fail("empty label name", labels);
            }

            if (i > 0)
            {
                int c = string.CompareOrdinal(labels[i - 1].Name, l.Name);
                if (c == 0)
                {
                    Fail("duplicate label name " + l.Name, labels);
                }

                if (c > 0)
                {
                    Fail("labels not sorted by name", labels);
                }
            }

            if (l.Name == "__name__")
            {
                hasName = true;
                if (!IsValidMetricName(l.Value))
                {
                    Fail("invalid metric name \"" + l.Value + "\"", labels);
                }
            }

            if (l.Value.Length == 0)
            {
                empties++;
            }
        }

        if (!hasName)
        {
            Fail("missing metric name (__name__)", labels);
        }

        if (empties == 0)
        {
            return labels;
        }

        var result = new Label[labels.Length - empties];
        int k = 0;
        foreach (var l in labels)
        {
            if (l.Value.Length > 0)
            {
                result[k++] = l;
            }
        }

        return result;
    }

    /// <summary>The legacy Prometheus metric-name grammar <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>.</summary>
    public static bool IsValidMetricName(string name)
    {
        if (name.Length == 0)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_' or ':' || (i > 0 && c is >= '0' and <= '9');
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static void Fail(string reason, Label[] labels) =>
        throw new RemoteWriteRejection(StatusCodes.Status400BadRequest, reason + " in series " + Format(labels));

    private static string Format(Label[] labels)
    {
        var parts = new string[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            parts[i] = labels[i].Name + "=\"" + labels[i].Value + "\"";
        }

        return "{" + string.Join(", ", parts) + "}";
    }
}
