package io.flowgate.pipeline.offload;

/**
 * The fast path's handle of one direction of one conntrack entry: opaque to the BPF program, decoded only by the
 * owning worker.
 * <pre>
 *  63      56 55                   33 32 31                            0
 * +----------+-----------------------+--+-------------------------------+
 * |  worker  | generation (23 bits)  |d |  entry (record index)         |
 * +----------+-----------------------+--+-------------------------------+
 * </pre>
 * The generation is the table's count of reuses of the record slot ({@code ConntrackTable.generation}): a fold or
 * removal for a connection that died and whose slot now holds another one does not match and is ignored.
 * NOTE: 23 bits wrap after 8M reuses of one slot while a fold is in flight (one agent period): not a practical window.
 */
public final class OffloadCookie
{
    private static final long GENERATION_MASK = (1L << 23) - 1;

    private OffloadCookie()
    {
    }

    public static long of(final int worker, final int generation, final int dir, final int index)
    {
        return ((long)worker << 56) | ((generation & GENERATION_MASK) << 33) | ((long)dir << 32) | (index & 0xFFFF_FFFFL);
    }

    public static int worker(final long cookie)
    {
        return (int)(cookie >>> 56);
    }

    public static int generation(final long cookie)
    {
        return (int)((cookie >>> 33) & GENERATION_MASK);
    }

    public static boolean sameGeneration(final long cookie, final int generation)
    {
        return ((cookie >>> 33) & GENERATION_MASK) == (generation & GENERATION_MASK);
    }

    public static int dir(final long cookie)
    {
        return (int)(cookie >>> 32) & 1;
    }

    public static int index(final long cookie)
    {
        return (int)cookie;
    }
}
