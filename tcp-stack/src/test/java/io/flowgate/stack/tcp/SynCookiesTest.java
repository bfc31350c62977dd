package io.flowgate.stack.tcp;

import io.flowgate.stack.InetAddr;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SynCookiesTest
{
    private static final long MINUTE = 60_000_000_000L;
    private static final long PEER = InetAddr.v4(0xC0A80001);
    private static final long US = InetAddr.v4(0xC0A80002);
    private static final long NOW = 1_000 * MINUTE + 17_000_000_000L;
    private final SynCookies cookies = new SynCookies(99);

    private int make(final int mss, final long nowNs)
    {
        return cookies.generate(0, PEER, 0, US, 40000, 80, 0x12345678, mss, nowNs);
    }

    private int check(final int cookie, final long nowNs)
    {
        return cookies.check(0, PEER, 0, US, 40000, 80, 0x12345678, cookie, nowNs);
    }

    @Test
    void shouldRoundTripEachIpv4MssClass()
    {
        assertEquals(536, check(make(536, NOW), NOW));
        assertEquals(536, check(make(1000, NOW), NOW));
        assertEquals(536, check(make(100, NOW), NOW));
        assertEquals(1300, check(make(1300, NOW), NOW));
        assertEquals(1300, check(make(1439, NOW), NOW));
        assertEquals(1440, check(make(1440, NOW), NOW));
        assertEquals(1460, check(make(1460, NOW), NOW));
        assertEquals(1460, check(make(9000, NOW), NOW));
    }

    @Test
    void shouldUseLinuxIpv6TableForIpv6Peers()
    {
        final long peerLo = 2;
        final long peerHi = 0x2001_0db8_0000_0000L;
        for (final int mss : new int[] {1220, 1420, 1440, 8940})
        {
            final int c = cookies.generate(peerHi, peerLo, peerHi, 1, 5555, 443, 7, mss, NOW);
            assertEquals(mss, cookies.check(peerHi, peerLo, peerHi, 1, 5555, 443, 7, c, NOW));
        }
        assertEquals(1220, SynCookies.encodedMss(peerHi, peerLo, 1300));
    }

    @Test
    void shouldAcceptUpToOneMinuteLaterAndRefuseOlder()
    {
        final int c = make(1460, NOW);
        assertEquals(1460, check(c, NOW + MINUTE));
        assertEquals(0, check(c, NOW + 2 * MINUTE));
        assertEquals(0, check(c, NOW - MINUTE));
    }

    @Test
    void shouldRefuseWrongTupleOrSequenceOrKey()
    {
        final int c = make(1460, NOW);
        assertEquals(0, cookies.check(0, PEER, 0, US, 40001, 80, 0x12345678, c, NOW));
        assertEquals(0, cookies.check(0, US, 0, PEER, 40000, 80, 0x12345678, c, NOW));
        // as in Linux, the MSS index sits in the low bits: a sequence off by a few shifts the index (the
        // caller compares the ACK's sequence with the cookie's anyway); off by more it fails
        assertEquals(0, cookies.check(0, PEER, 0, US, 40000, 80, 0x12345678 + 1000, c, NOW));
        assertEquals(0, check(c + (1 << 20), NOW));
        assertEquals(0, new SynCookies(100).check(0, PEER, 0, US, 40000, 80, 0x12345678, c, NOW));
    }

    @Test
    void shouldRarelyAcceptRandomCookies()
    {
        int accepted = 0;
        final java.util.Random random = new java.util.Random(1);
        for (int i = 0; i < 100_000; i++)
        {
            if (check(random.nextInt(), NOW) != 0)
            {
                accepted++;
            }
        }
        // each guess passes with probability about 2 minutes / 256 * 4 / 2^24
        assertTrue(accepted <= 2, "accepted " + accepted);
    }

    @Test
    void shouldEncodeWindowScaleAndSackInLowTimestampBitsWithoutGoingForward()
    {
        final int ts = SynCookies.encodeTimestamp(1_000_000, 7, true);
        assertTrue(ts - 1_000_000 <= 0);
        assertTrue(1_000_000 - ts < 64);
        assertEquals(7, SynCookies.decodeWindowScale(ts));
        assertTrue(SynCookies.decodeSack(ts));

        final int none = SynCookies.encodeTimestamp(0x7FFF_FFC0, -1, false);
        assertEquals(-1, SynCookies.decodeWindowScale(none));
        assertFalse(SynCookies.decodeSack(none));
        assertTrue(none - 0x7FFF_FFC0 <= 0);

        for (int ws = 0; ws <= 14; ws++)
        {
            assertEquals(ws, SynCookies.decodeWindowScale(SynCookies.encodeTimestamp(0xFFFF_FFF0, ws, false)));
        }
    }
}
