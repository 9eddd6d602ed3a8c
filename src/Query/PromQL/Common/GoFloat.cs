using System.Globalization;
using System.Text;

namespace TraceLink.Query.PromQL.Common;

/// <summary>Go's float formatting as Prometheus uses it (strconv 'f'/'e'/'g' with shortest digits).</summary>
internal static class GoFloat
{
    /// <summary>Prometheus JSON sample value: 'f' unless |f| &lt; 1e-6 or ≥ 1e21, then 'e'.</summary>
    public static string FormatJson(double f)
    {
        if (Special(f) is { } sp)
        {
            return sp;
        }

        var abs = Math.Abs(f);
        var useE = f != 0 && (abs < 1e-6 || abs >= 1e21);
        return Format(f, useE ? 'e' : 'f');
    }

    /// <summary>Go's <c>strconv.FormatFloat(f, 'f', -1, 64)</c>.</summary>
    public static string FormatF(double f)
    {
        if (Special(f) is { } sp)
        {
            return sp;
        }

        return Format(f, 'f');
    }

    /// <summary>Go's <c>fmt.Sprint(float64)</c> (%g shortest, exponent threshold 6... and -4).</summary>
    public static string FormatG(double f)
    {
        if (Special(f) is { } sp)
        {
            return sp;
        }

        if (f == 0)
        {
            return double.IsNegative(f) ? "-0" : "0";
        }

        var (_, dp) = Decompose(Math.Abs(f));
        var exp = dp - 1;
        return Format(f, exp < -4 || exp >= 6 ? 'e' : 'f');
    }

    private static string? Special(double f) => double.IsNaN(f) ? "NaN" : double.IsPositiveInfinity(f) ? "+Inf" : double.IsNegativeInfinity(f) ? "-Inf" : null;

    private static (string Digits, int Dp) Decompose(double abs)
    {
        var s = abs.ToString("R", CultureInfo.InvariantCulture);
        var e = 0;
        var ei = s.IndexOfAny(['E', 'e']);
        if (ei >= 0)
        {
            e = int.Parse(s.AsSpan(ei + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            s = s[..ei];
        }

        var dot = s.IndexOf('.', StringComparison.Ordinal);
        string digits;
        int dp;
        if (dot >= 0)
        {
            digits = s[..dot] + s[(dot + 1)..];
            dp = dot + e;
        }
        else
        {
            digits = s;
            dp = s.Length + e;
        }

        var lead = 0;
        while (lead < digits.Length - 1 && digits[lead] == '0')
        {
            lead++;
        }

        digits = digits[lead..];
        dp -= lead;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            digits = "0";
        }

        return (digits, dp);
    }

    private static string Format(double f, char fmt)
    {
        var sb = new StringBuilder();
        if (double.IsNegative(f))
        {
            sb.Append('-');
        }

        if (f == 0)
        {
            sb.Append(fmt == 'e' ? "0e+00" : "0");
            return sb.ToString();
        }

        var (digits, dp) = Decompose(Math.Abs(f));
        if (fmt == 'e')
        {
            sb.Append(digits[0]);
            if (digits.Length > 1)
            {
                sb.Append('.').Append(digits, 1, digits.Length - 1);
            }

            var exp = dp - 1;
            sb.Append('e').Append(exp < 0 ? '-' : '+');
            var ae = Math.Abs(exp);
            if (ae < 10)
            {
                sb.Append('0');
            }

            sb.Append(ae.ToString(CultureInfo.InvariantCulture));
            return sb.ToString();
        }

        if (dp <= 0)
        {
            sb.Append("0.").Append('0', -dp).Append(digits);
        }
        else if (dp >= digits.Length)
        {
            sb.Append(digits).Append('0', dp - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, dp).Append('.').Append(digits, dp, digits.Length - dp);
        }

        return sb.ToString();
    }
}
