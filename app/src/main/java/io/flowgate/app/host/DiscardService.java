package io.flowgate.app.host;

import io.flowgate.stack.api.TcpHandler;
import io.flowgate.stack.api.TcpSocket;
import java.util.concurrent.atomic.LongAdder;

/** {@code discard}: reads and counts; closes when the peer does. */
final class DiscardService implements TcpHandler
{
    private final LongAdder received;
    private final long scratch;

    DiscardService(final LongAdder received, final long scratch)
    {
        this.received = received;
        this.scratch = scratch;
    }

    @Override
    public void onReadable(final TcpSocket socket)
    {
        int n;
        while ((n = socket.read(scratch, HostServices.SCRATCH_BYTES)) > 0)
        {
            received.add(n);
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
