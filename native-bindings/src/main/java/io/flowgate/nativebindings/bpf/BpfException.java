package io.flowgate.nativebindings.bpf;

/** A libbpf call failed; {@link #errno()} is the positive errno (libbpf 1.x returns it negated). */
public final class BpfException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;

    public BpfException(final String call, final int rc)
    {
        super(call + " failed: errno " + Math.abs(rc));
        this.errno = Math.abs(rc);
    }

    public BpfException(final String message)
    {
        super(message);
        this.errno = 0;
    }

    public int errno()
    {
        return errno;
    }
}
