using System.Globalization;
using System.Net;

using TraceLink.Query.PromQL.Parser;

namespace TraceLink.Server.Cli;

/// <summary>
/// Parses the <c>tracelink</c> command line. Errors are one line for stderr; the caller exits with code 2.
/// </summary>
internal static class CommandLine
{
    public const string Usage = """
        tracelink: metrics, logs and traces as one connected picture.

        Usage:
          tracelink serve [flags]                 run the server (default command)
          tracelink sensor --export URL [filters] run only the eBPF sensor, sending spans to a server
          tracelink --help                        show this help

        Flags of serve:
          --data DIR                  data directory (default ./data)
          --listen ADDR               HTTP listen address host:port or :port (default :3200)
          --retention DUR             drop spans older than this, e.g. 7d, 36h (default 7d)
          --max-request-bytes N       largest accepted request body after decompression (default 16777216)
          --metrics-flush-interval DUR  how often span-derived RED metrics are written (default 15s)
          --no-derived-signals        do not derive RED metrics and logs from spans
          --no-trace-linking          no ingest-time trace groups (assemble traces at query time only)
          --sensor                    also run the eBPF sensor in-process (needs root, BTF and tracefs)

        Flags of sensor (filters also apply to serve --sensor; repeat a filter to list several):
          --export URL                server to send spans to, e.g. http://collector:3200
          --pid N                     trace only this process id
          --process NAME              trace only processes with this name
          --port N                    trace only connections on this local or remote port
        """;

    /// <summary>Parses <paramref name="args"/>; returns null with <paramref name="error"/> set, or with neither set for --help.</summary>
    public static CliOptions? Parse(string[] args, out string? error, out bool help)
    {
        error = null;
        help = false;
        var options = new CliOptions();
        var i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            if (args[0] is not ("serve" or "sensor"))
            {
                error = $"unknown command \"{args[0]}\" (see tracelink --help)";
                return null;
            }

            options.Command = args[0];
            i = 1;
        }

        for (; i < args.Length; i++)
        {
            var arg = args[i];
            string? inlineValue = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inlineValue = arg[(eq + 1)..];
                arg = arg[..eq];
            }

            switch (arg)
            {
                case "-h" or "--help":
                    help = true;
                    return null;
                case "--sensor":
                    options.Sensor = true;
                    continue;
                case "--no-derived-signals":
                    options.DerivedSignals = false;
                    continue;
                case "--no-trace-linking":
                    options.TraceLinking = false;
                    continue;
                case "--data" or "--listen" or "--retention" or "--metrics-flush-interval" or "--max-request-bytes" or "--export" or "--pid" or "--process" or "--port":
                    break;
                default:
                    error = $"unknown flag {arg} (see tracelink --help)";
                    return null;
            }

            var value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Length)
                {
                    error = $"flag {arg} needs a value (see tracelink --help)";
                    return null;
                }

                value = args[++i];
            }

            if (!Apply(options, arg, value, out error))
            {
                return null;
            }
        }

        if (options.Command == "sensor" && options.ExportUrl is null)
        {
            error = "sensor needs --export URL (the server to send spans to)";
            return null;
        }

        return options;
    }

    private static bool Apply(CliOptions options, string flag, string value, out string? error)
    {
        error = null;
        switch (flag)
        {
            case "--data":
                if (value.Length == 0)
                {
                    error = "--data must not be empty";
                    return false;
                }

                options.DataDirectory = value;
                return true;
            case "--listen":
                if (!TryParseEndpoint(value, out var endpoint))
                {
                    error = $"invalid --listen \"{value}\": want host:port or :port, e.g. 127.0.0.1:3200";
                    return false;
                }

                options.Listen = endpoint;
                return true;
            case "--retention":
                if (!TryParseDuration(value, out var retention))
                {
                    error = $"invalid --retention \"{value}\": want a positive duration such as 7d, 36h or 90m";
                    return false;
                }

                options.Retention = retention;
                return true;
            case "--metrics-flush-interval":
                if (!TryParseDuration(value, out var flush))
                {
                    error = $"invalid --metrics-flush-interval \"{value}\": want a positive duration such as 15s";
                    return false;
                }

                options.MetricsFlushInterval = flush;
                return true;
            case "--export":
                if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                {
                    error = $"invalid --export \"{value}\": want an http(s) URL such as http://127.0.0.1:3200";
                    return false;
                }

                options.ExportUrl = url;
                return true;
            case "--pid" or "--port":
                if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number <= 0 || (flag == "--port" && number > 65535))
                {
                    error = $"invalid {flag} \"{value}\": want a positive number";
                    return false;
                }

                (flag == "--pid" ? options.SensorPids : options.SensorPorts).Add(number);
                return true;
            case "--process":
                options.SensorProcesses.Add(value);
                return true;
            default:
                if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) || bytes <= 0 || bytes > int.MaxValue)
                {
                    error = $"invalid --max-request-bytes \"{value}\": want a positive byte count below 2 GiB";
                    return false;
                }

                options.MaxRequestBytes = bytes;
                return true;
        }
    }

    private static bool TryParseEndpoint(string value, out IPEndPoint endpoint)
    {
        endpoint = null!;
        var colon = value.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        var host = value[..colon].Trim('[', ']');
        IPAddress? address;
        if (host.Length == 0)
        {
            address = IPAddress.Any;
        }
        else if (host == "localhost")
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address))
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>A positive duration in Prometheus syntax (<c>7d</c>, <c>1h30m</c>, <c>500ms</c>).</summary>
    private static bool TryParseDuration(string text, out TimeSpan duration)
    {
        var ok = PromDuration.TryParse(text, out var ms) && ms > 0;
        duration = TimeSpan.FromMilliseconds(ok ? ms : 0);
        return ok;
    }
}
