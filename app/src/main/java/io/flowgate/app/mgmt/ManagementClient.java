package io.flowgate.app.mgmt;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The client side of the management socket protocol (docs/management-socket.md): sends one request line
 * and reads the framed answer line by line. Failures to reach the server are IllegalStateExceptions with a
 * one-line reason, as {@code flowgate: error:} prints them.
 */
public final class ManagementClient implements Closeable
{
    /** Receives the answer's lines without their tag. */
    public interface Lines
    {
        /** A stdout line; return false to stop reading (the connection is then closed). */
        boolean out(String line);

        void err(String line);

        /** Every line to this process's stdout or stderr, as the server wrote it. */
        Lines CONSOLE = new Lines()
        {
            @Override
            public boolean out(final String line)
            {
                System.out.println(line);
                return true;
            }

            @Override
            public void err(final String line)
            {
                System.err.println(line);
            }
        };
    }

    /**
     * One request to the flowgate at {@code socket} (null: {@link ManagementServer#DEFAULT_PATH}), its answer printed
     * ({@link Lines#CONSOLE}); returns the server's exit status.
     */
    public static int print(final Path socket, final List<String> words) throws IOException
    {
        try (ManagementClient client = connect(socket != null ? socket : ManagementServer.DEFAULT_PATH))
        {
            return client.request(words, Lines.CONSOLE);
        }
    }

    private final SocketChannel channel;
    private final Path path;

    private ManagementClient(final SocketChannel channel, final Path path)
    {
        this.channel = channel;
        this.path = path;
    }

    public static ManagementClient connect(final Path path)
    {
        try
        {
            final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            try
            {
                channel.connect(UnixDomainSocketAddress.of(path));
            }
            catch (final IOException ex)
            {
                channel.close();
                throw ex;
            }
            return new ManagementClient(channel, path);
        }
        catch (final IOException ex)
        {
            final String reason = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
            throw new IllegalStateException("cannot reach flowgate on " + path + ": " + reason + " (is it running? --socket PATH)");
        }
    }

    /**
     * Sends {@code words} as one request and passes the answer to {@code lines}; returns the status of the
     * end marker, or 0 when {@code lines} stopped the stream. An error line from the server is thrown as an
     * IllegalStateException.
     */
    public int request(final List<String> words, final Lines lines)
    {
        return request(words, null, lines);
    }

    /** As {@link #request(List, Lines)}, with {@code body} (when not null) sent right after the request line. */
    public int request(final List<String> words, final byte[] body, final Lines lines)
    {
        for (final String word : words)
        {
            if (word.isEmpty() || word.chars().anyMatch(c -> c == ' ' || c == '\t' || c == '\n' || c == '\r'))
            {
                throw new IllegalArgumentException("argument cannot be empty or contain blanks: '" + word + "'");
            }
        }
        try
        {
            final ByteBuffer request = ByteBuffer.wrap((String.join(" ", words) + "\n").getBytes(StandardCharsets.UTF_8));
            while (request.hasRemaining())
            {
                channel.write(request);
            }
            if (body != null)
            {
                final ByteBuffer bytes = ByteBuffer.wrap(body);
                while (bytes.hasRemaining())
                {
                    channel.write(bytes);
                }
            }
            final BufferedReader reader = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String error = null;
            for (String line = reader.readLine(); line != null; line = reader.readLine())
            {
                if (line.length() < 2)
                {
                    continue;
                }
                final String text = line.length() > 2 ? line.substring(2) : "";
                switch (line.charAt(0))
                {
                    case '1' ->
                    {
                        if (!lines.out(text))
                        {
                            return 0;
                        }
                    }
                    case '2' -> lines.err(text);
                    case '!' -> error = text;
                    case '=' ->
                    {
                        if (error != null)
                        {
                            throw new IllegalStateException(error);
                        }
                        return Integer.parseInt(text.trim());
                    }
                    default ->
                    {
                        // '#' notes and anything newer servers send are for other readers.
                    }
                }
            }
            throw new IllegalStateException(error != null ? error : "flowgate closed the management connection on " + path
                + " before answering");
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("management connection to " + path + " failed: " + ex.getMessage());
        }
    }

    @Override
    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignored)
        {
            // Nothing to do about it.
        }
    }
}
