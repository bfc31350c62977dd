package io.flowgate.app.host;

import io.flowgate.stack.api.TcpHandler;
import io.flowgate.stack.api.TcpSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code http} (one per connection): HTTP/1.1 with keep-alive and pipelining (RFC 9112), GET and HEAD only.
 * {@code GET /} a small page, {@code GET /bytes/N} N bytes of the {@link Pattern} (from offset 0 of the body),
 * {@code GET /health} "ok". Every response has a Content-Length; {@code Connection: close} or HTTP/1.0 without
 * keep-alive closes after the response. Requests are parsed only while no response is being written, so a
 * client that pipelines requests without reading the answers is held back by the windows.
 */
final class HttpService implements TcpHandler
{
    static final int MAX_HEAD_BYTES = 8192;
    static final String PAGE = "<!doctype html><title>flowgate</title><p>flowgate host stack: try /bytes/1000000 or /health</p>\n";

    private final LongAdder requests;
    /** Write mode between calls: 0..position is request bytes not yet handled. */
    private final ByteBuffer in = ByteBuffer.allocate(MAX_HEAD_BYTES);
    /** The response head (and small bodies) being written; null when none. */
    private ByteBuffer head;
    /** Pattern body bytes still to write after the head, and the body offset reached. */
    private long bodyLeft;
    private long bodyOffset;
    private boolean closeAfter;
    private boolean peerDone;

    HttpService(final LongAdder requests)
    {
        this.requests = requests;
    }

    @Override
    public void onReadable(final TcpSocket socket)
    {
        pump(socket);
    }

    @Override
    public void onWritable(final TcpSocket socket)
    {
        pump(socket);
    }

    @Override
    public void onClosed(final TcpSocket socket, final int reason)
    {
        socket.close();
    }

    private void pump(final TcpSocket socket)
    {
        while (true)
        {
            if (!writeResponse(socket))
            {
                return; // waiting for room, or closed
            }
            if (closeAfter)
            {
                socket.close();
                return;
            }
            if (request(socket))
            {
                continue;
            }
            if (peerDone)
            {
                socket.close();
                return;
            }
            if (!in.hasRemaining())
            {
                respond(431, "Request Header Fields Too Large", "request head too large\n", true, false);
                continue;
            }
            final int r = socket.read(in);
            if (r < 0)
            {
                peerDone = true;
            }
            else if (r == 0)
            {
                return;
            }
        }
    }

    /** Writes what is pending; true when nothing is left. */
    private boolean writeResponse(final TcpSocket socket)
    {
        if (head != null)
        {
            if (socket.write(head) < 0)
            {
                socket.close();
                return false;
            }
            if (head.hasRemaining())
            {
                return false;
            }
            head = null;
        }
        while (bodyLeft > 0)
        {
            final int run = (int)Math.min(bodyLeft, Pattern.MAX_RUN);
            final int n = socket.write(Pattern.address(bodyOffset), run);
            if (n < 0)
            {
                socket.close();
                return false;
            }
            bodyOffset += n;
            bodyLeft -= n;
            if (n < run)
            {
                return false;
            }
        }
        return true;
    }

    /** Handles one buffered request, if a whole head is there; false when not. */
    private boolean request(final TcpSocket socket)
    {
        final byte[] b = in.array();
        final int end = headEnd(b, in.position());
        if (end < 0)
        {
            return false;
        }
        final String text = new String(b, 0, end, StandardCharsets.ISO_8859_1);
        System.arraycopy(b, end, b, 0, in.position() - end);
        in.position(in.position() - end);
        requests.increment();
        final String[] lines = text.split("\r?\n");
        final String[] requestLine = lines[0].split(" ");
        if (requestLine.length != 3 || !requestLine[2].startsWith("HTTP/1."))
        {
            respond(400, "Bad Request", "bad request line\n", true, false);
            return true;
        }
        boolean close = requestLine[2].equals("HTTP/1.0");
        for (int i = 1; i < lines.length; i++)
        {
            final String line = lines[i].toLowerCase(Locale.ROOT);
            if (line.startsWith("connection:"))
            {
                final String value = line.substring("connection:".length()).trim();
                if (value.contains("close"))
                {
                    close = true;
                }
                else if (value.contains("keep-alive"))
                {
                    close = false;
                }
            }
            else if (line.startsWith("content-length:") && !line.substring(15).trim().equals("0")
                || line.startsWith("transfer-encoding:"))
            {
                respond(400, "Bad Request", "request bodies are not accepted\n", true, false);
                return true;
            }
        }
        final String method = requestLine[0];
        final boolean headOnly = method.equals("HEAD");
        if (!method.equals("GET") && !headOnly)
        {
            respond(405, "Method Not Allowed", "GET or HEAD\n", close, headOnly);
            return true;
        }
        final String path = requestLine[1];
        if (path.equals("/"))
        {
            respond(200, "OK", PAGE, close, headOnly);
        }
        else if (path.equals("/health"))
        {
            respond(200, "OK", "ok", close, headOnly);
        }
        else if (path.startsWith("/bytes/"))
        {
            final long n = parseLength(path.substring("/bytes/".length()));
            if (n < 0)
            {
                respond(400, "Bad Request", "/bytes/N takes a whole number of bytes\n", close, headOnly);
            }
            else
            {
                head = ascii(statusHead(200, "OK", n, "application/octet-stream", close));
                bodyLeft = headOnly ? 0 : n;
                bodyOffset = 0;
                closeAfter = close;
            }
        }
        else
        {
            respond(404, "Not Found", "not found\n", close, headOnly);
        }
        return true;
    }

    private void respond(final int status, final String reason, final String body, final boolean close, final boolean headOnly)
    {
        head = ascii(statusHead(status, reason, body.length(), status == 200 && body == PAGE ? "text/html" : "text/plain", close)
            + (headOnly ? "" : body));
        bodyLeft = 0;
        closeAfter = close;
    }

    static String statusHead(final int status, final String reason, final long length, final String type, final boolean close)
    {
        return "HTTP/1.1 " + status + " " + reason + "\r\nServer: flowgate\r\nContent-Type: " + type + "\r\nContent-Length: " + length
            + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
    }

    /** The end of the first request head in {@code b[0, length)} (after its blank line), or -1. */
    static int headEnd(final byte[] b, final int length)
    {
        for (int i = 0; i + 1 < length; i++)
        {
            if (b[i] == '\n' && (b[i + 1] == '\n' || i + 2 < length && b[i + 1] == '\r' && b[i + 2] == '\n'))
            {
                return b[i + 1] == '\n' ? i + 2 : i + 3;
            }
        }
        return -1;
    }

    static long parseLength(final String text)
    {
        if (text.isEmpty() || text.length() > 15)
        {
            return -1;
        }
        long n = 0;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            n = n * 10 + (c - '0');
        }
        return n;
    }

    private static ByteBuffer ascii(final String s)
    {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }
}
