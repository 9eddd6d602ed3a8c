using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace TraceLink.Benchmarks.Sensor;

/// <summary>
/// A bounded closed-loop HTTP/1.1 load generator: a fixed number of keep-alive connections, each sending
/// the next GET as soon as the previous response is complete (or, with an offered rate, when its next
/// request is due), for a fixed time. Raw sockets keep the generator's own cost small and allocation-free
/// per request.
/// </summary>
internal static class KeepAliveLoad
{
    /// <summary>
    /// Runs the load and returns requests completed and their latencies in microseconds. With
    /// <paramref name="requestsPerSecond"/> above zero the connections share that offered rate (each paces its
    /// requests on a fixed schedule; a late response delays only its own connection), else they run flat out.
    /// A paced request's latency is also taken from when it was due (no coordinated omission: a stall shows in
    /// every request it delayed, as users arriving at a fixed rate would see it).
    /// </summary>
    public static async Task<LoadResult> RunAsync(int port, string path, int connections, TimeSpan duration, double requestsPerSecond = 0)
    {
        byte[] request = Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n");
        var sockets = new Socket[connections];
        for (int i = 0; i < connections; i++)
        {
            sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await sockets[i].ConnectAsync(IPAddress.Loopback, port);
        }

        var latencies = new List<int>[connections];
        var fromSchedule = new List<int>[connections];
        var clock = Stopwatch.StartNew();
        long stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long interval = requestsPerSecond > 0 ? (long)(Stopwatch.Frequency * connections / requestsPerSecond) : 0;
        var workers = new Task[connections];
        for (int i = 0; i < connections; i++)
        {
            var list = latencies[i] = new List<int>(200_000);
            var late = fromSchedule[i] = new List<int>(interval > 0 ? 200_000 : 0);
            var socket = sockets[i];
            long offset = interval * i / connections; // spread the connections' schedules
            workers[i] = Task.Run(() => WorkerAsync(socket, request, list, late, stopAt, interval, offset));
        }

        await Task.WhenAll(workers);
        var elapsed = clock.Elapsed;
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        int[] all = SortedUnion(latencies);
        int p99 = Percentile(all, 0.99);
        int p99Scheduled = interval > 0 ? Percentile(SortedUnion(fromSchedule), 0.99) : p99; // unpaced, nothing is due
        return new LoadResult(all.Length, elapsed, Percentile(all, 0.50), p99, p99Scheduled);
    }

    private static int[] SortedUnion(List<int>[] lists)
    {
        int total = 0;
        foreach (var list in lists)
        {
            total += list.Count;
        }

        var all = new int[total];
        int n = 0;
        foreach (var list in lists)
        {
            list.CopyTo(all, n);
            n += list.Count;
        }

        Array.Sort(all);
        return all;
    }

    private static async Task WorkerAsync(Socket socket, byte[] request, List<int> latencies, List<int> fromSchedule, long stopAt, long interval, long offset)
    {
        var buffer = new byte[16 * 1024];
        double usPerTick = 1_000_000.0 / Stopwatch.Frequency;
        long due = Stopwatch.GetTimestamp() + offset;
        long timerSlack = Stopwatch.Frequency / 1000; // Task.Delay has ~1 ms resolution: sleep only when further ahead
        while (true)
        {
            long scheduled = due;
            if (interval > 0)
            {
                long ahead = due - Stopwatch.GetTimestamp();
                if (ahead > timerSlack)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)(ahead - timerSlack) / Stopwatch.Frequency));
                }

                due += interval;
            }

            long start = Stopwatch.GetTimestamp();
            if (start >= stopAt)
            {
                return;
            }

            await socket.SendAsync(request, SocketFlags.None);
            await ReadResponseAsync(socket, buffer);
            long end = Stopwatch.GetTimestamp();
            latencies.Add((int)((end - start) * usPerTick));
            if (interval > 0)
            {
                fromSchedule.Add((int)((end - Math.Min(start, scheduled)) * usPerTick));
            }
        }
    }

    /// <summary>Reads one response with a Content-Length body (what nginx sends for a static file).</summary>
    private static async Task ReadResponseAsync(Socket socket, byte[] buffer)
    {
        int have = 0;
        int headEnd;
        while ((headEnd = buffer.AsSpan(0, have).IndexOf("\r\n\r\n"u8)) < 0)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(have), SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("server closed the connection");
            }

            have += n;
        }

        long bodyLength = ContentLength(buffer.AsSpan(0, headEnd));
        long missing = headEnd + 4 + bodyLength - have;
        while (missing > 0)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, missing)), SocketFlags.None);
            if (n == 0)
            {
                throw new IOException("server closed the connection");
            }

            missing -= n;
        }
    }

    private static long ContentLength(ReadOnlySpan<byte> head)
    {
        ReadOnlySpan<byte> name = "\r\nContent-Length:"u8;
        int at = head.IndexOf(name);
        if (at < 0)
        {
            throw new IOException("response without Content-Length");
        }

        var value = head[(at + name.Length)..].TrimStart((byte)' ');
        return Utf8Parser.TryParse(value, out long length, out _) ? length : throw new IOException("bad Content-Length");
    }

    private static int Percentile(int[] sorted, double q) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(q * sorted.Length))];
}

/// <summary>What one load run measured.</summary>
/// <param name="Requests">Requests completed.</param>
/// <param name="Elapsed">Wall time of the run.</param>
/// <param name="P50Us">Median latency in microseconds.</param>
/// <param name="P99Us">99th percentile latency in microseconds.</param>
/// <param name="P99ScheduledUs">99th percentile latency from when each request was due (= <paramref name="P99Us"/> unpaced).</param>
internal sealed record LoadResult(int Requests, TimeSpan Elapsed, int P50Us, int P99Us, int P99ScheduledUs)
{
    public double RequestsPerSecond => Requests / Elapsed.TotalSeconds;
}
