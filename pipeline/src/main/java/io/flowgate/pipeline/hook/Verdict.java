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

    /**
     * A handler's verdict carries more than the verdict: the low byte is the verdict, and a QUEUE verdict
     * carries its queue number in the high 16 bits and a bypass flag (Linux {@code NF_VERDICT_MASK},
     * {@code NF_VERDICT_QMASK}, {@code NF_VERDICT_FLAG_QUEUE_BYPASS}).
     */
    public static final int VERDICT_MASK = 0x0000_00FF;
    /** With QUEUE: when no queue handler listens, accept instead of dropping ({@code nft queue ... bypass}). */
    public static final int FLAG_QUEUE_BYPASS = 0x0000_8000;
    public static final int QUEUE_NUMBER_SHIFT = 16;

    private Verdict()
    {
    }

    /** A QUEUE verdict for queue {@code queueNumber} (0..65535), as Linux {@code NF_QUEUE_NR}. */
    public static int queue(final int queueNumber, final boolean bypass)
    {
        return (queueNumber << QUEUE_NUMBER_SHIFT) | (bypass ? FLAG_QUEUE_BYPASS : 0) | QUEUE;
    }

    public static int queueNumber(final int verdict)
    {
        return verdict >>> QUEUE_NUMBER_SHIFT;
    }

    public static boolean isQueueBypass(final int verdict)
    {
        return (verdict & FLAG_QUEUE_BYPASS) != 0;
    }

    public static String name(final int verdict)
    {
        return switch (verdict & VERDICT_MASK)
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
