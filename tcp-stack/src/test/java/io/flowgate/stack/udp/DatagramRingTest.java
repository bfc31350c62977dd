package io.flowgate.stack.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class DatagramRingTest
{
    @Test
    void recordsWrapAndTheRingRefusesWhenFull()
    {
        final DatagramRing ring = new DatagramRing(256);
        final ByteBuffer payload = ByteBuffer.allocate(100);
        assertTrue(ring.offer(payload, 1, 0, 1)); // 128 bytes
        assertFalse(ring.offer(ByteBuffer.allocate(200), 2, 0, 2), "larger than the room");
        assertTrue(ring.offer(ByteBuffer.allocate(60), 2, 0, 2)); // 88 bytes: 216 used
        assertFalse(ring.offer(ByteBuffer.allocate(40), 3, 0, 3));
        long r = ring.peek();
        assertEquals(100, DatagramRing.length(r));
        ring.release(r);
        assertTrue(ring.offer(ByteBuffer.allocate(80), 3, 0, 3), "wraps to the start");
        r = ring.peek();
        assertEquals(2, DatagramRing.port(r));
        ring.release(r);
        r = ring.peek();
        assertEquals(3, DatagramRing.port(r));
        assertEquals(80, DatagramRing.length(r));
        ring.release(r);
        assertEquals(0, ring.peek());
        ring.close();
    }

    @Test
    void oneProducerOneConsumerSeeEveryRecordInOrder() throws Exception
    {
        final DatagramRing ring = new DatagramRing(4096);
        final int count = 200_000;
        final Thread producer = new Thread(() -> {
            final ByteBuffer b = ByteBuffer.allocate(300);
            for (int i = 0; i < count; i++)
            {
                b.clear();
                b.limit(4 + i % 290);
                b.putInt(0, i);
                while (!ring.offer(b, i & 0xFFFF, i, ~i))
                {
                    Thread.onSpinWait();
                }
            }
        });
        producer.start();
        for (int i = 0; i < count; i++)
        {
            long r;
            while ((r = ring.peek()) == 0)
            {
                Thread.onSpinWait();
            }
            assertEquals(4 + i % 290, DatagramRing.length(r));
            assertEquals(i, Memory.getIntBE(DatagramRing.payload(r)));
            assertEquals(i & 0xFFFF, DatagramRing.port(r));
            assertEquals(i, DatagramRing.hi(r));
            assertEquals(~i, DatagramRing.lo(r));
            ring.release(r);
        }
        producer.join();
        assertTrue(ring.isEmpty());
        ring.close();
    }
}
