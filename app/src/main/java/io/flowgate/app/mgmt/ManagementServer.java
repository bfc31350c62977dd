package io.flowgate.app.mgmt;

import io.flowgate.app.ct.CtService;
import io.flowgate.conntrack.ConntrackControl;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.LockSupport;

/**
 * The management socket of a running flowgate: a Unix domain stream socket on which {@code flowgate ct ...}
 * (and later other services) send one request line and read framed response lines (the protocol is in
 * docs/management-socket.md).
 * <p>
 * Usage: {@code ManagementServer.start(path, conntrackControl)} when the data path is up, {@code close()}
 * at shutdown; {@link #register} adds a service (the first word of a request names it) before or after start.
 * <p>
 * Thread-safety: one daemon thread accepts; each connection is served on its own daemon thread (at most
 * {@link #MAX_CONNECTIONS} at once). Handlers only call the control interfaces they were given (e.g.
 * {@link ConntrackControl}), which never block a worker.
 * <p>
 * Shutdown: {@link #close()} stops accepting, closes every open connection (ending event streams) and
 * removes the socket file.
 */
public final class ManagementServer implements AutoCloseable
{
    /** Where the socket lives unless configured otherwise. */
    public static final Path DEFAULT_PATH = Path.of("/run/flowgate/flowgate.sock");
    public static final int MAX_CONNECTIONS = 32;
    public static final int MAX_REQUEST_BYTES = 4096;
    /** The largest request body ({@link Response#body}): a ruleset file of some 100,000 rules. */
    public static final int MAX_BODY_BYTES = 64 << 20;

    /** A service: answers the requests whose first word is its name. */
    public interface Handler
    {
        /**
         * Serves one request; {@code args} are the words after the service name. Returns the status sent in
         * the end marker (0 success). IllegalArgumentException means a bad request: its message goes back
         * as an error line with status 1.
         */
        int handle(List<String> args, Response response) throws Exception;
    }

    private final Path path;
    private final Map<String, Handler> services = new ConcurrentHashMap<>();
    private final Set<SocketChannel> connections = ConcurrentHashMap.newKeySet();
    private final Semaphore slots = new Semaphore(MAX_CONNECTIONS);
    private ServerSocketChannel server;
    private Thread acceptor;
    private volatile boolean closed;

    public ManagementServer(final Path path)
    {
        this.path = path;
    }

    /** Starts a server on {@code path} with the conntrack service ({@code ct ...}) registered. */
    public static ManagementServer start(final Path path, final ConntrackControl control) throws IOException
    {
        final ManagementServer server = new ManagementServer(path);
        server.register(CtService.NAME, new CtService(control));
        server.start();
        return server;
    }

    public ManagementServer register(final String name, final Handler handler)
    {
        services.put(name, handler);
        return this;
    }

    public Path path()
    {
        return path;
    }

    /**
     * Binds the socket (mode 0600) and starts accepting. Creates the directory; removes a stale socket file
     * left by a process that died; refuses (IllegalStateException) when a live process answers on the path.
     */
    public synchronized ManagementServer start() throws IOException
    {
        if (server != null)
        {
            throw new IllegalStateException("management server already started on " + path);
        }
        final Path parent = path.toAbsolutePath().getParent();
        if (parent != null)
        {
            Files.createDirectories(parent);
        }
        if (Files.exists(path))
        {
            if (answers(path))
            {
                throw new IllegalStateException("another process answers on the management socket " + path);
            }
            Files.delete(path);
        }
        final ServerSocketChannel channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try
        {
            channel.bind(UnixDomainSocketAddress.of(path));
        }
        catch (final IOException ex)
        {
            channel.close();
            throw new IOException("cannot bind the management socket " + path + ": " + ex.getMessage(), ex);
        }
        // The socket can flush the table: only the owner (root, as flowgate runs) may connect.
        // NOTE: between bind and this chmod the umask's mode applies for an instant.
        try
        {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        }
        catch (final UnsupportedOperationException ignored)
        {
            // Not a POSIX file system: keep what bind gave.
        }
        server = channel;
        acceptor = new Thread(this::acceptLoop, "flowgate-mgmt-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return this;
    }

    private static boolean answers(final Path path)
    {
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path)))
        {
            return probe.isConnected();
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    private void acceptLoop()
    {
        while (!closed)
        {
            final SocketChannel channel;
            try
            {
                channel = server.accept();
            }
            catch (final IOException ex)
            {
                if (closed)
                {
                    return;
                }
                // E.g. out of file descriptors: try again shortly rather than spin.
                LockSupport.parkNanos(50_000_000L);
                continue;
            }
            if (!slots.tryAcquire())
            {
                try (channel)
                {
                    new Response(channel).error("too many management connections (" + MAX_CONNECTIONS + ")").end(1);
                }
                catch (final IOException ignored)
                {
                    // The client left already.
                }
                continue;
            }
            connections.add(channel);
            final Thread worker = new Thread(() -> serve(channel), "flowgate-mgmt-conn");
            worker.setDaemon(true);
            worker.start();
        }
    }

    private void serve(final SocketChannel channel)
    {
        try (channel)
        {
            final Response response = new Response(channel);
            final String line = readRequest(channel);
            if (line == null)
            {
                return;
            }
            final List<String> words = split(line);
            final Handler handler = words.isEmpty() ? null : services.get(words.get(0));
            if (handler == null)
            {
                response.error(words.isEmpty() ? "empty request" : "unknown service: " + words.get(0) + " (known: " +
                    String.join(", ", new java.util.TreeSet<>(services.keySet())) + ")").end(1);
                return;
            }
            int status;
            try
            {
                status = handler.handle(words.subList(1, words.size()), response);
            }
            catch (final IllegalArgumentException | IllegalStateException ex)
            {
                response.error(ex.getMessage());
                status = 1;
            }
            catch (final Exception ex)
            {
                response.error(ex.toString());
                status = 1;
            }
            response.end(status);
        }
        catch (final IOException ignored)
        {
            // The client went away mid-answer: nothing to tell it.
        }
        finally
        {
            connections.remove(channel);
            slots.release();
        }
    }

    /** Reads one request line (up to '\n'); null if the client closed first; IOException if it is too long. */
    private static String readRequest(final SocketChannel channel) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(MAX_REQUEST_BYTES);
        final ByteBuffer one = ByteBuffer.allocate(1);
        while (true)
        {
            one.clear();
            if (channel.read(one) < 0)
            {
                return null;
            }
            final byte b = one.get(0);
            if (b == '\n')
            {
                break;
            }
            if (!buffer.hasRemaining())
            {
                new Response(channel).error("request longer than " + MAX_REQUEST_BYTES + " bytes").end(1);
                return null;
            }
            buffer.put(b);
        }
        String line = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
        if (line.endsWith("\r"))
        {
            line = line.substring(0, line.length() - 1);
        }
        return line;
    }

    static List<String> split(final String line)
    {
        final List<String> words = new ArrayList<>();
        for (final String word : line.trim().split("[ \t]+"))
        {
            if (!word.isEmpty())
            {
                words.add(word);
            }
        }
        return words;
    }

    @Override
    public void close()
    {
        final ServerSocketChannel channel;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            channel = server;
        }
        if (channel != null)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignored)
            {
                // Closing: nothing left to do with it.
            }
        }
        for (final SocketChannel connection : connections)
        {
            try
            {
                connection.close();
            }
            catch (final IOException ignored)
            {
                // Already gone.
            }
        }
        if (acceptor != null)
        {
            try
            {
                acceptor.join(2000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        try
        {
            Files.deleteIfExists(path);
        }
        catch (final IOException ignored)
        {
            // A socket file we cannot remove is removed as stale by the next start.
        }
    }

    /**
     * The answer to one request: stdout lines ({@code 1 text}), stderr lines ({@code 2 text}), error lines
     * ({@code ! text}), notes ({@code # text}) and the end marker ({@code = status}). Writes are buffered until {@link #flush}, a
     * buffer of 64 KiB, or the end marker; safe to call from the event thread and the handler's thread.
     */
    public static final class Response
    {
        private static final int FLUSH_BYTES = 64 * 1024;

        private final SocketChannel channel;
        private final StringBuilder pending = new StringBuilder(FLUSH_BYTES + 1024);
        private int flushChars = FLUSH_BYTES;
        private volatile boolean broken;

        Response(final SocketChannel channel)
        {
            this.channel = channel;
        }

        public Response out(final String line) throws IOException
        {
            return line('1', line);
        }

        public Response err(final String line) throws IOException
        {
            return line('2', line);
        }

        /**
         * Reads the request's body: exactly {@code length} bytes the client sent after the request line (a service
         * whose request says how long its body is, as {@code nft load NAME BYTES}). Up to {@link #MAX_BODY_BYTES}.
         */
        public byte[] body(final int length) throws IOException
        {
            if (length < 0 || length > MAX_BODY_BYTES)
            {
                throw new IllegalArgumentException("request body of " + length + " bytes (at most " + MAX_BODY_BYTES + ")");
            }
            final ByteBuffer bytes = ByteBuffer.allocate(length);
            while (bytes.hasRemaining())
            {
                if (channel.read(bytes) < 0)
                {
                    throw new IllegalArgumentException("the client closed after " + bytes.position() + " of " + length + " body bytes");
                }
            }
            return bytes.array();
        }

        /** A {@code # text} line: information for people and tests reading the raw socket; clients skip it. */
        public Response note(final String line) throws IOException
        {
            return line('#', line);
        }

        Response error(final String message) throws IOException
        {
            return line('!', message == null ? "failed" : message.replace('\n', ' '));
        }

        void end(final int status) throws IOException
        {
            line('=', Integer.toString(status));
            flush();
        }

        private synchronized Response line(final char channelTag, final String text) throws IOException
        {
            pending.append(channelTag).append(' ').append(text).append('\n');
            if (pending.length() >= flushChars)
            {
                flush();
            }
            return this;
        }

        public synchronized void flush() throws IOException
        {
            if (pending.isEmpty())
            {
                return;
            }
            if (broken)
            {
                pending.setLength(0);
                throw new ClosedChannelException();
            }
            try
            {
                // In slices, so a large held answer is not copied whole once more as bytes.
                for (int start = 0; start < pending.length(); start += FLUSH_BYTES)
                {
                    final String slice = pending.substring(start, Math.min(pending.length(), start + FLUSH_BYTES));
                    final ByteBuffer bytes = ByteBuffer.wrap(slice.getBytes(StandardCharsets.UTF_8));
                    while (bytes.hasRemaining())
                    {
                        channel.write(bytes);
                    }
                }
            }
            catch (final IOException ex)
            {
                broken = true;
                throw ex;
            }
            finally
            {
                pending.setLength(0);
                if (pending.capacity() > 4 * FLUSH_BYTES && flushChars == FLUSH_BYTES)
                {
                    pending.trimToSize();
                }
            }
        }

        /**
         * Holds up to {@code chars} characters before writing (the default is 64 KiB): a handler that writes
         * while a control read is open (inside {@code ConntrackControl.forEach}, an epoch read section) raises
         * it so that a slow client does not keep the read open, and lowers it again afterwards.
         */
        public synchronized void holdUpTo(final int chars)
        {
            flushChars = Math.max(FLUSH_BYTES, chars);
        }

        /** True once a write failed: the client has gone. */
        public boolean isBroken()
        {
            return broken;
        }

        /**
         * Blocks until the client closes its end (or the server closes the connection): what a streaming
         * handler ({@code events}) waits on. Anything the client sends meanwhile is ignored.
         */
        public void awaitClientClose()
        {
            final ByteBuffer sink = ByteBuffer.allocate(256);
            try
            {
                while (!broken)
                {
                    sink.clear();
                    if (channel.read(sink) < 0)
                    {
                        break;
                    }
                }
            }
            catch (final IOException ignored)
            {
                // Closed by either side: the stream is over.
            }
            broken = true;
        }
    }
}
