package io.flowgate.pipeline.rules.queue;

import io.flowgate.pipeline.hook.Hook;

/**
 * One packet waiting in a queue for its verdict, as a {@link PacketQueueHandler} sees it: what nfnetlink_queue
 * reports (packet id, hook, in/out port, family, mark) and a copy of the packet from its network header on.
 * The verdict may be given once, from any thread ({@link #accept()}, {@link #accept(int)}, {@link #drop()});
 * a second verdict for the same id is ignored (counted as unknown by the worker).
 * <p>
 * Thread-safety: immutable but for the verdict, which goes through the worker's verdict ring (many producers).
 */
public final class QueuedPacket
{
    /** {@link #family()}: Linux's NFPROTO_IPV4 / NFPROTO_IPV6. */
    public static final int IPV4 = 2;
    public static final int IPV6 = 10;

    private final QueueChannel channel;
    private final long id;
    private final int queueNumber;
    private final Hook hook;
    private final int inPort;
    private final int outPort;
    private final int family;
    private final int mark;
    private final byte[] bytes;

    QueuedPacket(final QueueChannel channel, final long id, final int queueNumber, final Hook hook, final int inPort,
                 final int outPort, final int family, final int mark, final byte[] bytes)
    {
        this.channel = channel;
        this.id = id;
        this.queueNumber = queueNumber;
        this.hook = hook;
        this.inPort = inPort;
        this.outPort = outPort;
        this.family = family;
        this.mark = mark;
        this.bytes = bytes;
    }

    /** The packet id (unique per worker and queue while the packet waits). */
    public long id()
    {
        return id;
    }

    public int queueNumber()
    {
        return queueNumber;
    }

    public Hook hook()
    {
        return hook;
    }

    /** The worker that holds the packet. */
    public int worker()
    {
        return channel.worker;
    }

    public int inPort()
    {
        return inPort;
    }

    /** The transmitting port, -1 before routing. */
    public int outPort()
    {
        return outPort;
    }

    /** {@link #IPV4} or {@link #IPV6} (0 for anything else). */
    public int family()
    {
        return family;
    }

    public int mark()
    {
        return mark;
    }

    /** A copy of the packet from its network header to its end. */
    public byte[] bytes()
    {
        return bytes.clone();
    }

    public int length()
    {
        return bytes.length;
    }

    /** Continue the packet after the rule that queued it (NF_ACCEPT). False when the verdict ring was full: try again. */
    public boolean accept()
    {
        return channel.verdict(id, QueueChannel.VERDICT_ACCEPT, false, 0);
    }

    /** Accept and set the packet's meta mark (nfqueue's verdict with NFQA_MARK). */
    public boolean accept(final int newMark)
    {
        return channel.verdict(id, QueueChannel.VERDICT_ACCEPT, true, newMark);
    }

    /** Drop the packet (NF_DROP): the worker frees it. */
    public boolean drop()
    {
        return channel.verdict(id, QueueChannel.VERDICT_DROP, false, 0);
    }

    @Override
    public String toString()
    {
        return "QueuedPacket{id=" + id + ", queue=" + queueNumber + ", worker=" + channel.worker + ", " + hook + ", in=" + inPort
            + ", out=" + outPort + ", family=" + family + ", mark=" + mark + ", length=" + bytes.length + "}";
    }
}
