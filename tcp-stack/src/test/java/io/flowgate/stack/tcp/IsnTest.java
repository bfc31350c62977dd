package io.flowgate.stack.tcp;

import io.flowgate.stack.InetAddr;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class IsnTest
{
    private static final long A = InetAddr.v4(0x0A000001);
    private static final long B = InetAddr.v4(0x0A000002);

    @Test
    void shouldMatchSipHashReferenceVectors()
    {
        final SipHash h = new SipHash();
        h.init(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);
        assertEquals(0x726fdb47dd0e0e31L, h.finish(0));
        h.init(0x0706050403020100L, 0x0f0e0d0c0b0a0908L);
        h.word(0x0706050403020100L);
        assertEquals(0xa129ca6149be45e5L, h.finishBlock(0x0f0e0d0c0b0a0908L));
    }

    @Test
    void shouldGrowWithTheFourMicrosecondClockForOnePair()
    {
        final Isn isn = new Isn(42);
        final int first = isn.isn(0, A, 0, B, 80, 40000, 1_000_000_000L);
        final int later = isn.isn(0, A, 0, B, 80, 40000, 1_000_000_000L + 4_000_000L);
        assertEquals(1000, later - first);
    }

    @Test
    void shouldDifferPerTupleAndPerSeed()
    {
        final Isn isn = new Isn(42);
        final int base = isn.isn(0, A, 0, B, 80, 40000, 0);
        assertNotEquals(base, isn.isn(0, A, 0, B, 80, 40001, 0));
        assertNotEquals(base, isn.isn(0, B, 0, A, 80, 40000, 0));
        assertNotEquals(base, isn.isn(0, A, 0, B, 81, 40000, 0));
        assertNotEquals(base, new Isn(43).isn(0, A, 0, B, 80, 40000, 0));
        assertEquals(base, new Isn(42).isn(0, A, 0, B, 80, 40000, 0));
    }

    @Test
    void shouldGiveStableTimestampOffsetPerAddressPair()
    {
        final Isn isn = new Isn(7);
        assertEquals(isn.timestampOffset(0, A, 0, B), isn.timestampOffset(0, A, 0, B));
        assertNotEquals(isn.timestampOffset(0, A, 0, B), isn.timestampOffset(0, B, 0, A));
    }
}
