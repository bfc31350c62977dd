package io.flowgate.app.host;

import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.stack.Stack;
import io.flowgate.stack.StackException;
import io.flowgate.stack.tcp.TcpCounters;
import io.flowgate.stack.tcp.TcpInfo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The management services of the host stack (docs/management-socket.md): {@code ss [-l] [-i] [-n]},
 * {@code tcp stats}, {@code tcp fetch URL [-o FILE]} and {@code tcp send HOST PORT --bytes N}. fetch and send
 * run as clients of the stack on the management connection's thread ({@link BlockingTcp}); FILE is written
 * by the daemon.
 */
public final class TcpService
{
    public static final String SS = "ss";
    public static final String TCP = "tcp";
    static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final int HEAD_MAX = 64 << 10;

    private final Stack stack;
    private final HostServices services;

    public TcpService(final Stack stack, final HostServices services)
    {
        this.stack = stack;
        this.services = services;
    }

    public void register(final ManagementServer server)
    {
        server.register(SS, this::ss);
        server.register(TCP, this::tcp);
    }

    int ss(final List<String> args, final ManagementServer.Response response) throws IOException
    {
        boolean listening = false;
        boolean info = false;
        for (final String arg : args)
        {
            if (!arg.matches("-[tlin]+"))
            {
                throw new IllegalArgumentException("usage: ss [-l] [-i] [-n]");
            }
            listening |= arg.indexOf('l') > 0;
            info |= arg.indexOf('i') > 0;
        }
        for (final String line : TcpFormat.ssLines(stack.sockets().connections(), listening, info))
        {
            response.out(line);
        }
        return 0;
    }

    int tcp(final List<String> args, final ManagementServer.Response response) throws Exception
    {
        if (args.isEmpty())
        {
            throw new IllegalArgumentException("usage: tcp stats | tcp fetch URL [-o FILE] | tcp send HOST PORT --bytes N");
        }
        try
        {
            return switch (args.get(0))
            {
                case "stats" -> stats(response);
                case "fetch" -> fetch(args.subList(1, args.size()), response);
                case "send" -> send(args.subList(1, args.size()), response);
                default -> throw new IllegalArgumentException("unknown tcp operation '" + args.get(0) + "' (stats, fetch, send)");
            };
        }
        catch (final IOException | StackException ex)
        {
            throw new IllegalStateException(ex.getMessage(), ex); // an error line with the reason alone
        }
    }

    private int stats(final ManagementServer.Response response) throws IOException
    {
        final long[] counters = new long[TcpCounters.COUNTERS];
        for (int i = 0; i < counters.length; i++)
        {
            counters[i] = TcpFormat.NSTAT_NAMES[i] == null ? 0 : stack.tcp().counter(i);
        }
        for (final String line : TcpFormat.nstatLines(counters))
        {
            response.out(line);
        }
        if (services != null)
        {
            for (final String line : services.counters())
            {
                response.out("#services " + line);
            }
        }
        return 0;
    }

    /** An HTTP/1.1 GET through the stack: prints bytes, sha256 and seconds of the body. */
    private int fetch(final List<String> args, final ManagementServer.Response response) throws Exception
    {
        final FetchRequest request = FetchRequest.parse(args);
        final long start = System.nanoTime();
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long body = 0;
        int status;
        try (BlockingTcp tcp = BlockingTcp.connect(stack.sockets(), InetAddress.getByName(request.host()), request.port(), TIMEOUT_NS);
             FileChannel file = request.output() == null ? null : FileChannel.open(request.output(), StandardOpenOption.CREATE,
                 StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING))
        {
            tcp.writeFully(ByteBuffer.wrap(("GET " + request.path() + " HTTP/1.1\r\nHost: " + request.hostHeader()
                + "\r\nUser-Agent: flowgate\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1)));
            final ByteBuffer buffer = ByteBuffer.allocate(HEAD_MAX);
            int headEnd;
            while ((headEnd = HttpService.headEnd(buffer.array(), buffer.position())) < 0)
            {
                if (!buffer.hasRemaining() || tcp.read(buffer) < 0)
                {
                    throw new IOException("no complete HTTP response head");
                }
            }
            final String head = new String(buffer.array(), 0, headEnd, StandardCharsets.ISO_8859_1);
            final String[] statusLine = head.split("\r?\n", 2)[0].split(" ", 3);
            status = Integer.parseInt(statusLine[1]);
            final long length = contentLength(head);
            buffer.flip().position(headEnd);
            while (length < 0 || body < length)
            {
                if (buffer.hasRemaining())
                {
                    final int take = (int)(length < 0 ? buffer.remaining() : Math.min(buffer.remaining(), length - body));
                    sha.update(buffer.array(), buffer.position(), take);
                    if (file != null)
                    {
                        final ByteBuffer slice = buffer.slice(buffer.position(), take);
                        while (slice.hasRemaining())
                        {
                            file.write(slice);
                        }
                    }
                    buffer.position(buffer.position() + take);
                    body += take;
                    continue;
                }
                buffer.clear();
                final int n = tcp.read(buffer);
                buffer.flip();
                if (n < 0)
                {
                    if (length >= 0)
                    {
                        throw new IOException("connection closed after " + body + " of " + length + " body bytes");
                    }
                    break;
                }
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        response.out(String.format(Locale.ROOT, "status %d bytes %d sha256 %s seconds %.3f", status, body,
            HexFormat.of().formatHex(sha.digest()), seconds));
        return status / 100 == 2 ? 0 : 2;
    }

    static long contentLength(final String head)
    {
        for (final String line : head.split("\r?\n"))
        {
            final int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase("content-length"))
            {
                return Long.parseLong(line.substring(colon + 1).trim());
            }
        }
        return -1;
    }

    /** Connects, sends N bytes of the pattern, closes after they are acknowledged: prints bytes and seconds. */
    private int send(final List<String> args, final ManagementServer.Response response) throws Exception
    {
        if (args.size() != 4 || !args.get(2).equals("--bytes"))
        {
            throw new IllegalArgumentException("usage: tcp send HOST PORT --bytes N");
        }
        final int port = port(args.get(1));
        final long bytes;
        try
        {
            bytes = Long.parseLong(args.get(3));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("--bytes must be a whole number, not '" + args.get(3) + "'");
        }
        if (bytes < 0)
        {
            throw new IllegalArgumentException("--bytes must not be negative");
        }
        final long start = System.nanoTime();
        try (BlockingTcp tcp = BlockingTcp.connect(stack.sockets(), InetAddress.getByName(args.get(0)), port, TIMEOUT_NS))
        {
            long sent = 0;
            while (sent < bytes)
            {
                final int run = (int)Math.min(Pattern.MAX_RUN, bytes - sent);
                tcp.writeFully(Pattern.address(sent), run);
                sent += run;
            }
            tcp.socket().shutdownOutput();
            final long deadline = System.nanoTime() + TIMEOUT_NS;
            final ByteBuffer sink = ByteBuffer.allocate(4096);
            while (true)
            {
                final TcpInfo info = tcp.socket().info();
                if (info == null || info.bytesAcked() >= bytes || tcp.socket().read(sink.clear()) < 0)
                {
                    break;
                }
                if (System.nanoTime() > deadline)
                {
                    throw new IOException("the peer did not acknowledge " + bytes + " bytes in time (acked " + info.bytesAcked() + ")");
                }
                Thread.sleep(1);
            }
        }
        final double seconds = (System.nanoTime() - start) / 1e9;
        response.out(String.format(Locale.ROOT, "bytes %d seconds %.3f", bytes, seconds));
        return 0;
    }

    static int port(final String text)
    {
        try
        {
            final int port = Integer.parseInt(text);
            if (port >= 1 && port <= 65535)
            {
                return port;
            }
        }
        catch (final NumberFormatException ignored)
        {
            // below
        }
        throw new IllegalArgumentException("port must be 1..65535, not '" + text + "'");
    }

    /** {@code tcp fetch URL [-o FILE]}: http URLs only (the stack has no TLS). */
    record FetchRequest(String host, int port, String path, String hostHeader, Path output)
    {
        static FetchRequest parse(final List<String> args)
        {
            if (args.size() != 1 && !(args.size() == 3 && args.get(1).equals("-o")))
            {
                throw new IllegalArgumentException("usage: tcp fetch URL [-o FILE]");
            }
            final URI uri;
            try
            {
                uri = new URI(args.get(0));
            }
            catch (final URISyntaxException ex)
            {
                throw new IllegalArgumentException("not a URL: " + args.get(0));
            }
            if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null)
            {
                throw new IllegalArgumentException("only http://HOST[:PORT]/PATH URLs: " + args.get(0));
            }
            final String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1) : uri.getHost();
            final int port = uri.getPort() < 0 ? 80 : uri.getPort();
            final String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
            final String hostHeader = uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
            return new FetchRequest(host, port, path, hostHeader, args.size() == 3 ? Path.of(args.get(2)) : null);
        }
    }
}
