package io.flowgate.pipeline.hook;

/**
 * Netfilter verdicts, with Linux's values ({@code include/uapi/linux/netfilter.h}: NF_DROP 0 ... NF_STOP 5)
 * so that rule counters and logs read the same as the kernel's.
 */
public final class Verdict
{
    /** Discard the packet; it is freed once by the worker's tail. */
    public static final int DROP = 0;
    /** Continue with the next handler of the hook, then the next stage. */
    public static final int ACCEPT = 1;
    /** The handler took the packet (e.g. queued it for later); nobody else touches it. */
    public static final int STOLEN = 2;
    /** Hand the packet to a queue handler (the nf_queue idea); it returns a verdict later. */
    public static final int QUEUE = 3;
    /** Call the same handler again. */
    public static final int REPEAT = 4;
    /** Accept, and skip the rest of this hook's handlers (deprecated in Linux, kept for completeness). */
    public static final int STOP = 5;

    private Verdict()
    {
    }

    public static String name(final int verdict)
    {
        return switch (verdict)
        {
            case DROP -> "DROP";
            case ACCEPT -> "ACCEPT";
            case STOLEN -> "STOLEN";
            case QUEUE -> "QUEUE";
            case REPEAT -> "REPEAT";
            case STOP -> "STOP";
            default -> "verdict(" + verdict + ")";
        };
    }
}
