package io.flowgate.app.host;

import io.flowgate.stack.api.TcpHandler;
import io.flowgate.stack.api.TcpSocket;
import java.util.concurrent.atomic.LongAdder;

/** {@code chargen}: writes the {@link Pattern} from offset 0 until the peer closes (what it sends is read and dropped). */
final class ChargenService implements TcpHandler
{
    private final LongAdder sent;
    private final long scratch;
    private long offset;

    ChargenService(final LongAdder sent, final long scratch)
    {
        this.sent = sent;
        this.scratch = scratch;
    }

    void start(final TcpSocket socket)
    {
        onWritable(socket);
    }

    @Override
    public void onWritable(final TcpSocket socket)
    {
        while (true)
        {
            final int n = socket.write(Pattern.address(offset), Pattern.MAX_RUN);
            if (n <= 0)
            {
                return;
            }
            offset += n;
            sent.add(n);
            if (n < Pattern.MAX_RUN)
            {
                return; // full: onWritable comes back
            }
        }
    }

    @Override
    public void onReadable(final TcpSocket socket)
    {
        int n;
        while ((n = socket.read(scratch, HostServices.SCRATCH_BYTES)) > 0)
        {
            // dropped
        }
        if (n < 0)
        {
            socket.close();
        }
    }

    @Override
    public void onClosed(final TcpSocket socket, final int reason)
    {
        socket.close();
    }
}
