package io.flowgate.pipeline.neigh;

import java.util.Arrays;

/**
 * Packets waiting for a neighbour's address, as Linux's {@code neigh->arp_queue}: one FIFO per neighbour
 * (indexed by table slot) of at most {@code perNeighbour} packets, all drawn from one preallocated pool of
 * {@code capacity} nodes. Packets are handles (mbuf addresses), never 0.
 * <p>
 * When a neighbour's queue is full the oldest packet makes room, as {@code __neigh_event_send} drops from the
 * head of {@code arp_queue} ({@code unres_qlen}); Linux bounds the queue by bytes, we by packets, since the
 * worst case of an mbuf is its data room whatever the packet's length. When the pool is empty the new packet
 * itself is dropped: one unresolvable neighbour never evicts the packets waiting for another.
 * <pre>
 *   head[slot] -> node -> node -> node = tail[slot]      next[node] links a queue, and the free list
 *                 packet[node] holds the handle
 * </pre>
 * Thread-safety: the slow-path thread only. Nothing allocates after construction.
 */
public final class PendingQueue
{
    /** No packet: an empty queue's poll, and "nothing dropped". */
    public static final long NO_PACKET = 0L;

    private static final int NIL = -1;

    private final int perNeighbour;
    private final long[] packet;
    private final int[] next;
    private final int[] head;
    private final int[] tail;
    private final int[] length;
    private int free;
    private int size;

    public PendingQueue(final int slots, final int perNeighbour, final int capacity)
    {
        if (perNeighbour < 1 || capacity < 1)
        {
            throw new IllegalArgumentException("perNeighbour and capacity must be positive");
        }
        this.perNeighbour = perNeighbour;
        this.packet = new long[capacity];
        this.next = new int[capacity];
        this.head = new int[slots];
        this.tail = new int[slots];
        this.length = new int[slots];
        Arrays.fill(head, NIL);
        Arrays.fill(tail, NIL);
        for (int node = 0; node < capacity; node++)
        {
            next[node] = node + 1 < capacity ? node + 1 : NIL;
        }
        this.free = 0;
    }

    public int perNeighbour()
    {
        return perNeighbour;
    }

    public int capacity()
    {
        return packet.length;
    }

    /** Packets queued over all neighbours. */
    public int size()
    {
        return size;
    }

    /** Packets queued for the neighbour in {@code slot}. */
    public int size(final int slot)
    {
        return length[slot];
    }

    /**
     * Appends {@code handle} to the queue of {@code slot}.
     *
     * @return the packet dropped to keep the bounds: the queue's oldest when it was full, {@code handle}
     *         itself when the pool is empty, else {@link #NO_PACKET}. The caller frees it.
     */
    public long offer(final int slot, final long handle)
    {
        long dropped = NO_PACKET;
        if (length[slot] == perNeighbour)
        {
            dropped = poll(slot);
        }
        else if (free == NIL)
        {
            return handle;
        }
        final int node = free;
        free = next[node];
        packet[node] = handle;
        next[node] = NIL;
        if (tail[slot] == NIL)
        {
            head[slot] = node;
        }
        else
        {
            next[tail[slot]] = node;
        }
        tail[slot] = node;
        length[slot]++;
        size++;
        return dropped;
    }

    /** The oldest packet queued for {@code slot}, removed, or {@link #NO_PACKET}. */
    public long poll(final int slot)
    {
        final int node = head[slot];
        if (node == NIL)
        {
            return NO_PACKET;
        }
        head[slot] = next[node];
        if (head[slot] == NIL)
        {
            tail[slot] = NIL;
        }
        final long handle = packet[node];
        packet[node] = NO_PACKET;
        next[node] = free;
        free = node;
        length[slot]--;
        size--;
        return handle;
    }
}
