package io.flowgate.stack.tcp;

/**
 * A listening socket: its SYN queue (half-open connections, SYN-ACKs retransmitted), its accept queue (bounded
 * by the backlog, as Linux's {@code sk_max_ack_backlog}) and the switch to SYN cookies when the SYN queue
 * overflows. Stack thread. Contract skeleton: built by the TCP core part.
 */
public final class Listener
{
    Listener()
    {
    }

    public int localPort()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Connections waiting in the accept queue (ss's Recv-Q of a listener). */
    public int acceptQueueLength()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** The backlog (ss's Send-Q of a listener). */
    public int backlog()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Stops listening: half-open and unaccepted connections are reset. */
    public void close(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }
}
