package io.flowgate.pipeline.rules.queue;

/**
 * User code that receives the packets of one queue number ({@code nft ... queue num N}), as a program bound to an
 * {@code nfnetlink_queue} does. Called on the queue's own thread ({@link PacketQueues#listen}), never on a worker;
 * it may take its time, keep the {@link QueuedPacket} and give the verdict later from any thread. Until then the
 * packet waits in its worker's queue (bounded: {@code maxlen}); other packets keep flowing.
 */
@FunctionalInterface
public interface PacketQueueHandler
{
    void onPacket(QueuedPacket packet);
}
