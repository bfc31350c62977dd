package io.flowgate.nativebindings;

/**
 * A DPDK call failed: names the call and DPDK's reason ({@code rte_strerror}). Thrown on the control
 * path only (set-up, configuration, shutdown), never per packet.
 */
public final class DpdkException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    public DpdkException(final String message, final int errno)
    {
        super(message);
        this.errno = errno;
    }

    public DpdkException(final String message)
    {
        this(message, 0);
    }

    /** The positive errno value DPDK reported, or 0 when it gave none. */
    public int errno()
    {
        return errno;
    }
}
