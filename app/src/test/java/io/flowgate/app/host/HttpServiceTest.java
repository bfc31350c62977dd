package io.flowgate.app.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.flowgate.nativebindings.Memory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpServiceTest
{
    @Test
    void shouldFindTheEndOfARequestHead()
    {
        final byte[] b = "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /health".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(27, HttpService.headEnd(b, b.length));
        assertEquals(-1, HttpService.headEnd(b, 25));
        final byte[] bare = "GET / HTTP/1.0\n\n".getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(bare.length, HttpService.headEnd(bare, bare.length));
    }

    @Test
    void shouldParseByteCountsStrictly()
    {
        assertEquals(1_000_000, HttpService.parseLength("1000000"));
        assertEquals(-1, HttpService.parseLength("-1"));
        assertEquals(-1, HttpService.parseLength("1e6"));
        assertEquals(-1, HttpService.parseLength(""));
    }

    @Test
    void shouldWriteAHeadWithContentLength()
    {
        assertEquals("HTTP/1.1 200 OK\r\nServer: flowgate\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
            HttpService.statusHead(200, "OK", 2, "text/plain", true));
        assertEquals(1234, TcpService.contentLength("HTTP/1.1 200 OK\r\ncontent-length: 1234\r\n\r\n"));
    }

    @Test
    void shouldHandOutThePatternFromAnyOffset()
    {
        for (final long offset : new long[] {0, 1, 250, 251, 1_000_003})
        {
            final long address = Pattern.address(offset);
            for (int i = 0; i < Pattern.MAX_RUN; i += 997)
            {
                assertEquals((byte)((offset + i) % 251), Memory.getByte(address + i));
            }
            assertEquals((byte)((offset + Pattern.MAX_RUN - 1) % 251), Memory.getByte(address + Pattern.MAX_RUN - 1));
        }
        final byte[] b = new byte[600];
        Pattern.fill(b, 0, 600, 500);
        assertEquals(-1, Pattern.mismatch(b, 0, 600, 500));
        b[17]++;
        assertEquals(517, Pattern.mismatch(b, 0, 600, 500));
    }

    @Test
    void shouldParseFetchUrls()
    {
        final TcpService.FetchRequest r = TcpService.FetchRequest.parse(List.of("http://[fd00:1::2]:8080/bytes/10?x=1", "-o", "/tmp/x"));
        assertEquals("fd00:1::2", r.host());
        assertEquals(8080, r.port());
        assertEquals("/bytes/10?x=1", r.path());
        assertEquals("[fd00:1::2]:8080", r.hostHeader());
        assertEquals(80, TcpService.FetchRequest.parse(List.of("http://10.0.0.2")).port());
        assertEquals("/", TcpService.FetchRequest.parse(List.of("http://10.0.0.2")).path());
        assertThrows(IllegalArgumentException.class, () -> TcpService.FetchRequest.parse(List.of("https://10.0.0.2/")));
    }
}
