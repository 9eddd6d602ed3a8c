using System.Text;

using TraceLink.Sensor.Http;

namespace TraceLink.Sensor.Tests.Http;

public sealed class HttpStreamParserTests
{
    private const string PostRequest =
        "POST /orders?id=7 HTTP/1.1\r\nHost: shop\r\nContent-Length: 11\r\nX-Request-ID: abc\r\n\r\nhello world";

    [Fact]
    public void Request_in_one_segment_yields_method_target_headers_body_and_seq()
    {
        var h = new ParserHarness(initialSeq: 500).Feed(PostRequest);

        var m = Assert.Single(h.Messages);
        Assert.True(m.IsRequest);
        Assert.Equal("POST", m.Method);
        Assert.Equal("/orders?id=7", m.Target);
        Assert.Equal("abc", m.GetHeader("x-request-id"));
        Assert.Equal("shop", m.GetHeader("host"));
        Assert.Equal("hello world", Encoding.ASCII.GetString(m.Body!, 0, m.BodyCaptured));
        Assert.Equal(11, m.BodySize);
        Assert.Equal(500u, m.StartSeq);
        Assert.Equal(1, m.MinorVersion);
    }

    [Fact]
    public void Request_split_at_every_byte_boundary_parses_the_same()
    {
        for (int split = 1; split < PostRequest.Length; split++)
        {
            var h = new ParserHarness().Feed(PostRequest[..split], PostRequest[split..]);

            var m = Assert.Single(h.Messages);
            Assert.Equal("/orders?id=7", m.Target);
            Assert.Equal("hello world", Encoding.ASCII.GetString(m.Body!, 0, m.BodyCaptured));
            Assert.Equal(1000u, m.StartSeq);
            Assert.Equal(0, h.Parser.BufferedBytes);
        }
    }

    [Fact]
    public void Request_fed_one_byte_per_segment_parses_and_ends_at_the_last_segment()
    {
        var h = new ParserHarness();
        foreach (char c in PostRequest)
        {
            h.Feed(c.ToString());
        }

        var m = Assert.Single(h.Messages);
        Assert.Equal(11, m.BodySize);
        Assert.Equal(1000UL, m.StartTs);
        Assert.Equal((ulong)PostRequest.Length * 1000 + 10, m.EndTs);
    }

    [Fact]
    public void Pipelined_requests_in_one_segment_get_their_own_seq()
    {
        const string first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        const string second = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
        var h = new ParserHarness(initialSeq: 100).Feed(first + second + PostRequest);

        Assert.Equal(["/a", "/b", "/orders?id=7"], h.Messages.Select(m => m.Target));
        Assert.Equal(100u, h.Messages[0].StartSeq);
        Assert.Equal(100u + (uint)first.Length, h.Messages[1].StartSeq);
        Assert.Equal(100u + (uint)(first.Length + second.Length), h.Messages[2].StartSeq);
    }

    [Fact]
    public void Keep_alive_messages_reuse_equal_header_strings_and_never_a_changed_value()
    {
        // Equal values of the previous message on the connection are reused; a value or target differing in one
        // byte (same length), or a header moved to another position, gets its own string.
        var h = new ParserHarness().Feed(
            "GET /items/1 HTTP/1.1\r\nHost: shop\r\nX-Id: aaaa\r\nAccept: */*\r\n\r\n" +
            "GET /items/1 HTTP/1.1\r\nHost: shop\r\nX-Id: aaab\r\nAccept: */*\r\n\r\n" +
            "GET /items/2 HTTP/1.1\r\nX-Id: aaab\r\nHost: shop\r\nAccept: */*\r\n\r\n");

        Assert.Equal(["/items/1", "/items/1", "/items/2"], h.Messages.Select(m => m.Target));
        Assert.Equal(["aaaa", "aaab", "aaab"], h.Messages.Select(m => m.GetHeader("x-id")));
        Assert.All(h.Messages, m => Assert.Equal(("shop", "*/*"), (m.GetHeader("host"), m.GetHeader("accept"))));
        Assert.Same(h.Messages[0].Target, h.Messages[1].Target);
        Assert.Same(h.Messages[0].GetHeader("host"), h.Messages[1].GetHeader("host"));
        Assert.Same(h.Messages[1].GetHeader("accept"), h.Messages[2].GetHeader("accept"));
    }

    [Fact]
    public void Chunked_response_with_extensions_and_trailers_is_decoded()
    {
        const string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
            "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n" +
            "HTTP/1.1 204 No Content\r\n\r\n";
        var whole = new ParserHarness().Feed(response);
        var bytewise = new ParserHarness();
        foreach (char c in response)
        {
            bytewise.Feed(c.ToString());
        }

        foreach (var h in new[] { whole, bytewise })
        {
            Assert.Equal(2, h.Messages.Count);
            var m = h.Messages[0];
            Assert.True(m.Chunked);
            Assert.Equal(200, m.StatusCode);
            Assert.Equal("hello world", Encoding.ASCII.GetString(m.Body!, 0, m.BodyCaptured));
            Assert.Equal(11, m.BodySize);
            Assert.Equal(204, h.Messages[1].StatusCode);
        }
    }

    [Fact]
    public void Response_to_head_has_no_body_despite_content_length()
    {
        var h = new ParserHarness { HeadPending = true }.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        h.HeadPending = false;
        h.Feed("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno");

        Assert.Equal([200, 404], h.Messages.Select(m => m.StatusCode));
        Assert.Equal(0, h.Messages[0].BodySize);
        Assert.Equal(2, h.Messages[1].BodySize);
    }

    [Fact]
    public void Interim_100_continue_is_skipped_and_the_final_response_reported()
    {
        var h = new ParserHarness().Feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");

        Assert.Equal(201, Assert.Single(h.Messages).StatusCode);
    }

    [Fact]
    public void Response_without_length_ends_when_the_connection_closes()
    {
        var h = new ParserHarness().Feed("HTTP/1.0 200 OK\r\nServer: old\r\n\r\npart one ", "part two");
        Assert.Empty(h.Messages);

        h.Parser.Close(99_999);

        var m = Assert.Single(h.Messages);
        Assert.Equal(0, m.MinorVersion);
        Assert.Equal("part one part two", Encoding.ASCII.GetString(m.Body!, 0, m.BodyCaptured));
        Assert.Equal(99_999UL, m.EndTs);
    }

    [Fact]
    public void Switching_protocols_is_reported_and_what_follows_is_ignored()
    {
        var h = new ParserHarness().Feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "\x81\x05hello", "GET / HTTP/1.1\r\n\r\n");

        Assert.Equal(101, Assert.Single(h.Messages).StatusCode);
        Assert.Equal(0, h.Parser.NotHttp);
        Assert.Equal(0, h.Parser.Malformed);
    }

    [Theory]
    [InlineData("GET /x HTTP/2.0\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\nBad Header: v\r\n\r\n")]
    [InlineData("GET /x HTTP/1.1\r\n folded: v\r\n\r\n")]
    [InlineData("POST /x HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n")]
    [InlineData("POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")]
    [InlineData("HTTP/1.1 2000 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY")]
    public void Malformed_message_is_counted_and_the_next_segment_parses(string bad)
    {
        var h = new ParserHarness().Feed(bad).Feed("GET /next HTTP/1.1\r\n\r\n");

        Assert.Equal(1, h.Parser.Malformed);
        Assert.Equal("/next", h.Messages[^1].Target);
        Assert.Equal(0, h.Parser.BufferedBytes);
    }

    [Fact]
    public void Oversized_header_section_is_rejected_without_growing_past_the_limit()
    {
        var limits = new HttpParserLimits(MaxHeadBytes: 1024);
        var h = new ParserHarness(limits).Feed("GET /big HTTP/1.1\r\n");
        for (int i = 0; i < 100; i++)
        {
            h.Feed($"X-Filler-{i}: {new string('a', 200)}\r\n");
            Assert.True(h.Parser.BufferedBytes <= 1024 * 2, "the head buffer is bounded by the limit (pool rounding aside)");
        }

        h.Feed("\r\n").Feed("GET /small HTTP/1.1\r\n\r\n");

        Assert.Equal(1, h.Parser.Malformed);
        Assert.Equal("/small", Assert.Single(h.Messages).Target);
    }

    [Fact]
    public void Header_fields_beyond_the_limit_are_dropped_and_flagged()
    {
        var sb = new StringBuilder("GET / HTTP/1.1\r\n");
        for (int i = 0; i < 10; i++)
        {
            sb.Append('H').Append(i).Append(": v\r\n");
        }

        var h = new ParserHarness(new HttpParserLimits(MaxHeaders: 4)).Feed(sb.Append("\r\n").ToString());

        var m = Assert.Single(h.Messages);
        Assert.Equal(4, m.Headers.Count);
        Assert.True(m.HeadersTruncated);
    }

    [Fact]
    public void Body_beyond_the_capture_limit_is_counted_not_stored()
    {
        string body = new('x', 10_000);
        var h = new ParserHarness(new HttpParserLimits(MaxBodyBytes: 100))
            .Feed($"POST /up HTTP/1.1\r\nContent-Length: {body.Length}\r\n\r\n", body[..4000], body[4000..]);

        var m = Assert.Single(h.Messages);
        Assert.Equal(10_000, m.BodySize);
        Assert.Equal(100, m.BodyCaptured);
        Assert.Equal(100, m.Body!.Length);
    }

    [Fact]
    public void Small_bodies_are_stored_in_buffers_of_their_own_size_not_the_capture_limit()
    {
        var h = new ParserHarness()
            .Feed("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello", " world")
            .Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "2\r\nde\r\n0\r\n\r\n");

        Assert.Equal(2, h.Messages.Count);
        Assert.Equal(11, h.Messages[0].Body!.Length);
        Assert.Equal("hello world", Encoding.ASCII.GetString(h.Messages[0].Body!, 0, h.Messages[0].BodyCaptured));
        Assert.InRange(h.Messages[1].Body!.Length, 5, 8);
        Assert.Equal("abcde", Encoding.ASCII.GetString(h.Messages[1].Body!, 0, h.Messages[1].BodyCaptured));
    }

    [Fact]
    public void Uncaptured_body_bytes_complete_the_message_as_truncated()
    {
        var h = new ParserHarness().Feed("POST /up HTTP/1.1\r\nContent-Length: 9000\r\n\r\n" + new string('y', 3000)).Skip(6000)
            .Feed("GET /after HTTP/1.1\r\n\r\n");

        Assert.Equal(2, h.Messages.Count);
        Assert.True(h.Messages[0].Truncated);
        Assert.Equal(9000, h.Messages[0].BodySize);
        Assert.Equal("/after", h.Messages[1].Target);
    }

    [Fact]
    public void Non_http_bytes_are_rejected_at_the_first_bytes()
    {
        // a TLS record, a Redis command and a PostgreSQL startup packet
        var h = new ParserHarness()
            .Feed([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])
            .Feed("*1\r\n$4\r\nPING\r\n")
            .Feed([0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f]);

        Assert.Empty(h.Messages);
        Assert.Equal(3, h.Parser.NotHttp);
        Assert.Equal(0, h.Parser.BufferedBytes);
    }

    [Fact]
    public void Random_garbage_and_mutated_messages_never_throw_and_stay_bounded()
    {
        var random = new Random(12345);
        var limits = new HttpParserLimits(MaxHeadBytes: 2048, MaxBodyBytes: 256, MaxHeaders: 8);
        byte[] valid = Encoding.ASCII.GetBytes(PostRequest + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        var h = new ParserHarness(limits);
        for (int round = 0; round < 20_000; round++)
        {
            byte[] data;
            if (round % 2 == 0)
            {
                data = new byte[random.Next(1, 600)];
                random.NextBytes(data);
            }
            else
            {
                data = (byte[])valid.Clone();
                for (int i = random.Next(0, 4); i > 0; i--)
                {
                    data[random.Next(data.Length)] = (byte)random.Next(256);
                }

                data = data[..random.Next(1, data.Length)];
            }

            if (random.Next(10) == 0)
            {
                h.Skip(random.Next(1, 5000));
            }

            h.Feed(data);
            Assert.True(h.Parser.BufferedBytes <= 4096);
        }

        Assert.All(h.Messages, m =>
        {
            Assert.True(m.BodyCaptured <= 256);
            Assert.True(m.Headers.Count <= 8);
        });
        Assert.True(h.Parser.NotHttp + h.Parser.Malformed > 0);
    }
}
