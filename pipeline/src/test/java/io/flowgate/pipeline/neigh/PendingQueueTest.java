package io.flowgate.pipeline.neigh;

import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.neigh.PendingQueue.NO_PACKET;
import static org.junit.jupiter.api.Assertions.assertEquals;

class PendingQueueTest
{
    @Test
    void shouldHandPacketsBackInArrivalOrderPerNeighbour()
    {
        final PendingQueue queue = new PendingQueue(4, 3, 16);
        assertEquals(NO_PACKET, queue.offer(1, 101));
        assertEquals(NO_PACKET, queue.offer(2, 201));
        assertEquals(NO_PACKET, queue.offer(1, 102));
        assertEquals(NO_PACKET, queue.offer(2, 202));
        assertEquals(NO_PACKET, queue.offer(1, 103));
        assertEquals(3, queue.size(1));
        assertEquals(5, queue.size());

        assertEquals(101, queue.poll(1));
        assertEquals(102, queue.poll(1));
        assertEquals(103, queue.poll(1));
        assertEquals(NO_PACKET, queue.poll(1));
        assertEquals(201, queue.poll(2));
        assertEquals(202, queue.poll(2));
        assertEquals(0, queue.size());
        assertEquals(NO_PACKET, queue.poll(0));
    }

    @Test
    void shouldDropTheOldestWhenANeighboursQueueIsFull()
    {
        final PendingQueue queue = new PendingQueue(2, 3, 16);
        queue.offer(0, 1);
        queue.offer(0, 2);
        queue.offer(0, 3);
        assertEquals(1, queue.offer(0, 4), "the oldest makes room, as __neigh_event_send");
        assertEquals(2, queue.offer(0, 5));
        assertEquals(3, queue.size(0));
        assertEquals(3, queue.poll(0));
        assertEquals(4, queue.poll(0));
        assertEquals(5, queue.poll(0));
    }

    @Test
    void shouldDropTheNewPacketWhenThePoolIsEmpty()
    {
        final PendingQueue queue = new PendingQueue(4, 3, 4);
        queue.offer(0, 1);
        queue.offer(0, 2);
        queue.offer(0, 3);
        assertEquals(NO_PACKET, queue.offer(1, 11));
        assertEquals(12, queue.offer(1, 12), "no node left: the newcomer goes, not another neighbour's packet");
        assertEquals(4, queue.size());
        assertEquals(1, queue.offer(0, 4), "a full neighbour still recycles its own oldest node");
        assertEquals(11, queue.poll(1));
        assertEquals(NO_PACKET, queue.offer(1, 13), "a freed node is reused");
        assertEquals(13, queue.poll(1));
    }

    @Test
    void shouldReuseNodesWithoutLimitOverTime()
    {
        final PendingQueue queue = new PendingQueue(8, 3, 5);
        long next = 1;
        long expected = 1;
        for (int round = 0; round < 10_000; round++)
        {
            final int slot = round & 7;
            assertEquals(NO_PACKET, queue.offer(slot, next++));
            assertEquals(expected++, queue.poll(slot));
        }
        assertEquals(0, queue.size());
    }
}
