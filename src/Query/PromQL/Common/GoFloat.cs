using System.Globalization;

namespace TraceLink.Query.PromQL.Common;

/// <summary>
/// Go's float formatting as Prometheus uses it (strconv 'f'/'e'/'g' with shortest digits). The JSON form writes into a
/// caller's buffer, so the query API formats every sample without allocating.
/// </summary>
internal static class GoFloat
{
    /// <summary>Enough for <see cref="FormatJson(double, Span{char})"/>: 'f' only for 1e-6 ≤ |f| &lt; 1e21, else 'e'.</summary>
    public const int MaxJsonChars = 48;

    // 'f' of the largest double: 309 digits, sign and point.
    private const int MaxChars = 328;

    /// <summary>Prometheus JSON sample value: 'f' unless |f| &lt; 1e-6 or ≥ 1e21, then 'e'.</summary>
    public static string FormatJson(double f)
    {
        Span<char> buffer = stackalloc char[MaxJsonChars];
        return new string(buffer[..FormatJson(f, buffer)]);
    }

    /// <summary>Writes the JSON sample value into <paramref name="destination"/> (at least <see cref="MaxJsonChars"/>); returns its length.</summary>
    public static int FormatJson(double f, Span<char> destination)
    {
        var abs = Math.Abs(f);
        if (abs < 1e12 && f != 0 && TryFormatShortDecimal(f, destination, out int length))
        {
            return length;
        }

        // Where .NET's shortest round-trip form is fixed-point (exponent -4..14) it is Go's 'f' -1 form already.
        if (abs >= 1e-4 && abs < 1e15 && f.TryFormat(destination, out int written, "R", CultureInfo.InvariantCulture)
            && destination[..written].IndexOf('E') < 0)
        {
            return written;
        }

        return Format(f, f != 0 && (abs < 1e-6 || abs >= 1e21) ? 'e' : 'f', destination);
    }

    /// <summary>
    /// Integers and values with up to three decimals (most counters and gauges) without the shortest-digit search: if
    /// k / 10^d (correctly rounded) is <paramref name="f"/> for an integer k, that decimal is the shortest form, since
    /// below 1e12 two decimals that far apart cannot round to one double; the smallest such d has no trailing zero.
    /// </summary>
    private static bool TryFormatShortDecimal(double f, Span<char> destination, out int length)
    {
        double scale = 1;
        for (int decimals = 0; decimals <= 3; decimals++, scale *= 10)
        {
            double k = Math.Round(f * scale);
            if (k / scale != f)
            {
                continue;
            }

            int pos = 0;
            if (k < 0)
            {
                destination[pos++] = '-';
            }

            Span<char> digits = stackalloc char[20];
            ((long)Math.Abs(k)).TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
            int whole = n - decimals;
            if (whole <= 0)
            {
                destination[pos++] = '0';
            }
            else
            {
                digits[..whole].CopyTo(destination[pos..]);
                pos += whole;
            }

            if (decimals > 0)
            {
                destination[pos++] = '.';
                for (int z = whole; z < 0; z++)
                {
                    destination[pos++] = '0';
                }

                var fraction = digits[Math.Max(whole, 0)..n];
                fraction.CopyTo(destination[pos..]);
                pos += fraction.Length;
            }

            length = pos;
            return true;
        }

        length = 0;
        return false;
    }

    /// <summary>Go's <c>strconv.FormatFloat(f, 'f', -1, 64)</c>.</summary>
    public static string FormatF(double f)
    {
        Span<char> buffer = stackalloc char[MaxChars];
        return new string(buffer[..Format(f, 'f', buffer)]);
    }

    /// <summary>Go's <c>fmt.Sprint(float64)</c> (%g shortest: 'e' below exponent -4 and from 6).</summary>
    public static string FormatG(double f)
    {
        if (f == 0 && !double.IsNaN(f))
        {
            return double.IsNegative(f) ? "-0" : "0";
        }

        Span<char> buffer = stackalloc char[MaxChars];
        Span<char> digits = stackalloc char[32];
        char fmt = 'f';
        if (double.IsFinite(f))
        {
            int exp = Decompose(Math.Abs(f), digits, out _) - 1;
            fmt = exp < -4 || exp >= 6 ? 'e' : 'f';
        }

        return new string(buffer[..Format(f, fmt, buffer)]);
    }

    private static int Special(double f, Span<char> destination)
    {
        var text = double.IsNaN(f) ? "NaN" : double.IsPositiveInfinity(f) ? "+Inf" : double.IsNegativeInfinity(f) ? "-Inf" : null;
        if (text is null)
        {
            return -1;
        }

        text.CopyTo(destination);
        return text.Length;
    }

    /// <summary>Shortest round-trip digits of <paramref name="abs"/> (no leading or trailing zeros) and the decimal point position.</summary>
    private static int Decompose(double abs, Span<char> digits, out int length)
    {
        Span<char> r = stackalloc char[32];
        abs.TryFormat(r, out int n, "R", CultureInfo.InvariantCulture);
        r = r[..n];
        int e = 0;
        int ei = r.IndexOfAny('E', 'e');
        if (ei >= 0)
        {
            e = int.Parse(r[(ei + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            r = r[..ei];
        }

        int dot = r.IndexOf('.');
        int dp;
        length = 0;
        foreach (char c in r)
        {
            if (c != '.')
            {
                digits[length++] = c;
            }
        }

        dp = (dot >= 0 ? dot : r.Length) + e;
        int lead = 0;
        while (lead < length - 1 && digits[lead] == '0')
        {
            lead++;
        }

        digits[lead..length].CopyTo(digits);
        length -= lead;
        dp -= lead;
        while (length > 1 && digits[length - 1] == '0')
        {
            length--;
        }

        return dp;
    }

    private static int Format(double f, char fmt, Span<char> destination)
    {
        int special = Special(f, destination);
        if (special >= 0)
        {
            return special;
        }

        int pos = 0;
        if (double.IsNegative(f))
        {
            destination[pos++] = '-';
        }

        if (f == 0)
        {
            (fmt == 'e' ? "0e+00" : "0").CopyTo(destination[pos..]);
            return pos + (fmt == 'e' ? 5 : 1);
        }

        Span<char> digits = stackalloc char[32];
        int dp = Decompose(Math.Abs(f), digits, out int length);
        digits = digits[..length];
        if (fmt == 'e')
        {
            destination[pos++] = digits[0];
            if (length > 1)
            {
                destination[pos++] = '.';
                digits[1..].CopyTo(destination[pos..]);
                pos += length - 1;
            }

            int exp = dp - 1;
            destination[pos++] = 'e';
            destination[pos++] = exp < 0 ? '-' : '+';
            int ae = Math.Abs(exp);
            if (ae < 10)
            {
                destination[pos++] = '0';
            }

            ae.TryFormat(destination[pos..], out int written, default, CultureInfo.InvariantCulture);
            return pos + written;
        }

        if (dp <= 0)
        {
            destination[pos++] = '0';
            destination[pos++] = '.';
            destination.Slice(pos, -dp).Fill('0');
            pos += -dp;
            digits.CopyTo(destination[pos..]);
            return pos + length;
        }

        if (dp >= length)
        {
            digits.CopyTo(destination[pos..]);
            pos += length;
            destination.Slice(pos, dp - length).Fill('0');
            return pos + dp - length;
        }

        digits[..dp].CopyTo(destination[pos..]);
        pos += dp;
        destination[pos++] = '.';
        digits[dp..].CopyTo(destination[pos..]);
        return pos + length - dp;
    }
}
