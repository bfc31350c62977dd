package io.flowgate.app.host;

import io.flowgate.stack.api.TcpHandler;
import io.flowgate.stack.api.TcpSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code echo} (one per connection): sends back what it reads. At most one buffer is in flight: while the send
 * buffer cannot take it, nothing more is read, so a peer that does not read its echo is held back by the receive
 * window. The peer's FIN is answered by a close once everything before it was echoed.
 */
final class EchoService implements TcpHandler
{
    static final int BUFFER_BYTES = 16 << 10;

    private final LongAdder echoed;
    /** Read mode between calls: position..limit is what still has to be written. */
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).limit(0);

    EchoService(final LongAdder echoed)
    {
        this.echoed = echoed;
    }

    @Override
    public void onReadable(final TcpSocket socket)
    {
        while (true)
        {
            if (buffer.hasRemaining())
            {
                final int w = socket.write(buffer);
                if (w < 0)
                {
                    socket.close();
                    return;
                }
                echoed.add(w);
                if (buffer.hasRemaining())
                {
                    return; // a short write: onWritable comes back
                }
            }
            buffer.clear();
            final int r = socket.read(buffer);
            buffer.flip();
            if (r < 0)
            {
                socket.close();
                return;
            }
            if (r == 0)
            {
                return;
            }
        }
    }

    @Override
    public void onWritable(final TcpSocket socket)
    {
        onReadable(socket);
    }

    @Override
    public void onClosed(final TcpSocket socket, final int reason)
    {
        socket.close();
    }
}
