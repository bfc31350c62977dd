package io.flowgate.pipeline.defrag;

import io.flowgate.pmd.header.Ipv4Flyweight;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.defrag.Datagrams.datagram;
import static io.flowgate.pipeline.defrag.Datagrams.fragment;
import static io.flowgate.pipeline.defrag.Ipv4Reassembler.DROPPED;
import static io.flowgate.pipeline.defrag.Ipv4Reassembler.HELD;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4ReassemblerTest
{
    private static final long TIMEOUT_NS = Ipv4Reassembler.DEFAULT_TIMEOUT_NS;
    private static final long NOW = 5_000_000_000L;

    private final Arena arena = Arena.ofConfined();
    private final Random random = new Random(42);
    private Ipv4Reassembler reassembler = new Ipv4Reassembler(8, 1 << 20, 4, 16, TIMEOUT_NS, 1234);

    @AfterEach
    void close()
    {
        reassembler.close();
        arena.close();
    }

    private int offer(final byte[] fragment, final long nowNs)
    {
        return reassembler.offer(Datagrams.load(arena, fragment), fragment.length, nowNs);
    }

    private int offer(final byte[] fragment)
    {
        return offer(fragment, NOW);
    }

    private byte[] completed(final int buffer)
    {
        return Datagrams.read(reassembler.datagramAddress(buffer), reassembler.datagramLength(buffer));
    }

    private void assertCounters(
        final long reqds, final long oks, final long fails, final long timeouts, final long overlaps)
    {
        assertEquals(reqds, reassembler.counter(Ipv4Reassembler.REASM_REQDS), "ReasmReqds");
        assertEquals(oks, reassembler.counter(Ipv4Reassembler.REASM_OKS), "ReasmOKs");
        assertEquals(fails, reassembler.counter(Ipv4Reassembler.REASM_FAILS), "ReasmFails");
        assertEquals(timeouts, reassembler.counter(Ipv4Reassembler.REASM_TIMEOUT), "ReasmTimeout");
        assertEquals(overlaps, reassembler.counter(Ipv4Reassembler.REASM_OVERLAPS), "ReasmOverlaps");
    }

    private void assertNothingPending()
    {
        assertEquals(0, reassembler.pending());
        assertEquals(0, reassembler.pendingBytes());
    }

    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldReassembleFragmentsArrivingInOrder()
    {
        final byte[] original = datagram(random, 3000, 0x1234);

        assertEquals(HELD, offer(fragment(original, 0, 1480, true)));
        assertEquals(HELD, offer(fragment(original, 1480, 1480, true)));
        final int buffer = offer(fragment(original, 2960, 40, false));

        assertTrue(buffer >= 0);
        assertArrayEquals(original, completed(buffer));
        assertTrue(Datagrams.isHeaderChecksumValid(reassembler.datagramAddress(buffer)));
        assertEquals(1500, reassembler.maxFragmentSize(buffer));
        assertCounters(3, 1, 0, 0, 0);
        assertNothingPending();
    }

    @Test
    void shouldReassembleFragmentsArrivingInReverseOrder()
    {
        final byte[] original = datagram(random, 1000, 7);

        assertEquals(HELD, offer(fragment(original, 800, 200, false)));
        assertEquals(HELD, offer(fragment(original, 400, 400, true)));
        assertEquals(HELD, offer(fragment(original, 200, 200, true)));
        final int buffer = offer(fragment(original, 0, 200, true));

        assertArrayEquals(original, completed(buffer));
        assertCounters(4, 1, 0, 0, 0);
    }

    @Test
    void shouldReassembleFragmentsArrivingInAnyOrder()
    {
        reassembler.close();
        reassembler = new Ipv4Reassembler(8, 1 << 20, 4, 1024, TIMEOUT_NS, 1234);
        for (int round = 0; round < 50; round++)
        {
            final byte[] original = datagram(random, 16 + random.nextInt(4000), round);
            final List<byte[]> fragments = split(original, fragmentSize(original.length - 20));
            Collections.shuffle(fragments, random);

            int result = HELD;
            for (int f = 0; f < fragments.size(); f++)
            {
                result = offer(fragments.get(f));
                assertEquals(f == fragments.size() - 1, result >= 0, "round " + round + " fragment " + f);
            }

            assertArrayEquals(original, completed(result));
            reassembler.release(result);
        }
        assertNothingPending();
    }

    /** A random fragment payload size, a multiple of 8, that cuts {@code payload} bytes in two or more. */
    private int fragmentSize(final int payload)
    {
        return 8 * (1 + random.nextInt(Math.min(200, (payload - 1) / 8)));
    }

    /** Fragments of {@code original} with {@code size} payload bytes each (a multiple of 8) but the last. */
    private static List<byte[]> split(final byte[] original, final int size)
    {
        final int payload = original.length - ((original[0] & 0x0F) << 2);
        final List<byte[]> fragments = new ArrayList<>();
        for (int offset = 0; offset < payload; offset += size)
        {
            final int length = Math.min(size, payload - offset);
            fragments.add(fragment(original, offset, length, offset + length < payload));
        }
        return fragments;
    }

    @Test
    void shouldKeepTheFirstFragmentsHeaderWithItsOptions()
    {
        // Record Route (7, not copied) and a NOP: the reassembled header is the first fragment's
        final byte[] options = {7, 7, 4, 0, 0, 0, 0, 1};
        final byte[] original = datagram(random, 64, 99, Datagrams.SRC, Datagrams.DST, 17, options, 0, 0);

        offer(fragment(original, 32, 32, false));
        final int buffer = offer(fragment(original, 0, 32, true));

        assertEquals(28, Ipv4Flyweight.getHeaderLength(reassembler.datagramAddress(buffer)));
        assertArrayEquals(original, completed(buffer));
    }

    @Test
    void shouldReturnNothingForPacketThatIsNoFragment()
    {
        assertEquals(Ipv4Reassembler.NOT_A_FRAGMENT, offer(datagram(random, 100, 1)));

        assertCounters(0, 0, 0, 0, 0);
    }

    @Test
    void shouldKeepDatagramsApartByAddressesIdAndProtocol()
    {
        final byte[][] originals = {
            datagram(random, 48, 1, Datagrams.SRC, Datagrams.DST, 17, new byte[0], 0, 0),
            datagram(random, 48, 2, Datagrams.SRC, Datagrams.DST, 17, new byte[0], 0, 0),
            datagram(random, 48, 1, Datagrams.SRC, Datagrams.DST, 6, new byte[0], 0, 0),
            datagram(random, 48, 1, Datagrams.SRC + 1, Datagrams.DST, 17, new byte[0], 0, 0),
            datagram(random, 48, 1, Datagrams.SRC, Datagrams.DST + 1, 17, new byte[0], 0, 0),
        };
        for (final byte[] original : originals)
        {
            assertEquals(HELD, offer(fragment(original, 0, 24, true)));
        }
        assertEquals(originals.length, reassembler.pending());

        for (final byte[] original : originals)
        {
            final int buffer = offer(fragment(original, 24, 24, false));
            assertArrayEquals(original, completed(buffer));
            reassembler.release(buffer);
        }
        assertNothingPending();
    }

    // ------------------------------------------------------------------------------------------------------
    // Duplicates and overlaps
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldDropExactDuplicateAndStillReassemble()
    {
        final byte[] original = datagram(random, 64, 3);

        assertEquals(HELD, offer(fragment(original, 0, 32, true)));
        assertEquals(DROPPED, offer(fragment(original, 0, 32, true)));
        assertEquals(Ipv4Reassembler.REASON_DUP_FRAG, reassembler.lastReason());
        final int buffer = offer(fragment(original, 32, 32, false));

        assertArrayEquals(original, completed(buffer));
        assertCounters(3, 1, 0, 0, 0);
        assertEquals(1, reassembler.counter(Ipv4Reassembler.DUPLICATES));
    }

    @Test
    void shouldDropFragmentInsideOneReceivedRunAsDuplicate()
    {
        // 0..16 and 16..32 arrive in order and form one run; 8..24 lies inside it
        final byte[] original = datagram(random, 48, 4);
        offer(fragment(original, 0, 16, true));
        offer(fragment(original, 16, 16, true));

        assertEquals(DROPPED, offer(fragment(original, 8, 16, true)));
        final int buffer = offer(fragment(original, 32, 16, false));

        assertArrayEquals(original, completed(buffer));
        assertCounters(4, 1, 0, 0, 0);
    }

    @Test
    void shouldDiscardWholeDatagramWhenFragmentsOverlap()
    {
        final byte[] original = datagram(random, 64, 5);
        offer(fragment(original, 0, 32, true));

        assertEquals(DROPPED, offer(fragment(original, 24, 40, false)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_OVERLAP, reassembler.lastReason());
        assertCounters(2, 0, 1, 0, 1);
        assertNothingPending();
        // what follows starts a new datagram, which the old fragments will not complete
        assertEquals(HELD, offer(fragment(original, 32, 32, false)));
    }

    @Test
    void shouldDiscardDatagramWhenFragmentOverlapsTheStartOfAnEarlierRun()
    {
        final byte[] original = datagram(random, 64, 6);
        offer(fragment(original, 32, 32, false));

        assertEquals(DROPPED, offer(fragment(original, 16, 24, true)));

        assertCounters(2, 0, 1, 0, 1);
        assertNothingPending();
    }

    @Test
    void shouldTreatFragmentSpanningTwoSeparatelyReceivedRunsAsOverlapAsLinux()
    {
        // 32..48 arrives first, then 16..32 is inserted before it: two runs, though adjacent.
        // 24..40 lies inside data received, but inside no single run: Linux calls it an overlap.
        final byte[] original = datagram(random, 64, 8);
        offer(fragment(original, 32, 16, true));
        offer(fragment(original, 16, 16, true));

        assertEquals(DROPPED, offer(fragment(original, 24, 16, true)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_OVERLAP, reassembler.lastReason());
        assertCounters(3, 0, 1, 0, 1);
    }

    @Test
    void shouldAcceptFragmentFillingAGapBetweenRuns()
    {
        final byte[] original = datagram(random, 64, 9);
        offer(fragment(original, 0, 16, true));
        offer(fragment(original, 48, 16, false));
        offer(fragment(original, 32, 8, true));

        assertEquals(HELD, offer(fragment(original, 16, 16, true)));
        final int buffer = offer(fragment(original, 40, 8, true));

        assertArrayEquals(original, completed(buffer));
        assertCounters(5, 1, 0, 0, 0);
    }

    // ------------------------------------------------------------------------------------------------------
    // Lengths
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldDiscardDatagramWhenTwoLastFragmentsDisagree()
    {
        final byte[] original = datagram(random, 64, 10);
        offer(fragment(original, 32, 32, false));

        assertEquals(DROPPED, offer(fragment(original, 8, 40, false)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_INVALID, reassembler.lastReason());
        assertCounters(2, 0, 1, 0, 0);
        assertNothingPending();
    }

    @Test
    void shouldDiscardDatagramWhenDataLiesBeyondTheLastFragment()
    {
        final byte[] original = datagram(random, 64, 11);
        offer(fragment(original, 16, 16, false));

        assertEquals(DROPPED, offer(fragment(original, 32, 16, true)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_INVALID, reassembler.lastReason());
        assertCounters(2, 0, 1, 0, 0);
    }

    @Test
    void shouldDiscardDatagramWhoseLastFragmentEndsBeforeDataReceived()
    {
        final byte[] original = datagram(random, 64, 12);
        offer(fragment(original, 32, 32, true));

        assertEquals(DROPPED, offer(fragment(original, 8, 8, false)));

        assertCounters(2, 0, 1, 0, 0);
    }

    @Test
    void shouldTrimNonLastFragmentToAMultipleOfEight()
    {
        // a first fragment of 13 bytes with MF counts as 8; the next one starts at 8
        final byte[] original = datagram(random, 24, 13);
        assertEquals(HELD, offer(fragment(original, 0, 13, true)));

        final int buffer = offer(fragment(original, 8, 16, false));

        assertArrayEquals(original, completed(buffer));
    }

    @Test
    void shouldDiscardDatagramOnNonLastFragmentShorterThanEightBytes()
    {
        final byte[] original = datagram(random, 24, 14);
        offer(fragment(original, 8, 16, false));

        assertEquals(DROPPED, offer(fragment(original, 0, 7, true)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_INVALID, reassembler.lastReason());
        assertCounters(2, 0, 1, 0, 0);
    }

    @Test
    void shouldReassembleDatagramOfMaximumLength()
    {
        reassembler.close();
        reassembler = new Ipv4Reassembler(2, 1 << 20, 2, 64, TIMEOUT_NS, 1);
        final byte[] original = datagram(random, 65535 - 20, 15);
        final List<byte[]> fragments = split(original, 1480);
        Collections.shuffle(fragments, random);

        int result = HELD;
        for (final byte[] fragment : fragments)
        {
            result = offer(fragment);
        }

        assertArrayEquals(original, completed(result));
        assertEquals(65535, reassembler.datagramLength(result));
    }

    @Test
    void shouldFailDatagramLongerThan65535Bytes()
    {
        // 20-byte header fragments carrying 65512..65528, with a 24-byte-header first fragment: 65552 bytes
        final byte[] options = {1, 1, 1, 0};
        final byte[] original = datagram(random, 65528, 16, Datagrams.SRC, Datagrams.DST, 17, options, 0, 0);
        final List<byte[]> fragments = split(original, 65512);

        assertEquals(HELD, offer(fragments.get(0)));
        assertEquals(DROPPED, offer(fragments.get(1)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_OVERSIZE, reassembler.lastReason());
        assertCounters(2, 0, 1, 0, 0);
        assertNothingPending();
    }

    @Test
    void shouldFailAtOnceFragmentReachingBeyondAnyPossibleDatagram()
    {
        final byte[] tail = datagram(random, 16, 17);
        final byte[] fragment = fragment(tail, 0, 16, false);
        Datagrams.updateChecksum(fragment);
        fragment[6] = (byte)0x1F;   // offset 8191 * 8 = 65528, ending at 65544
        fragment[7] = (byte)0xFF;

        assertEquals(DROPPED, offer(fragment));

        assertEquals(Ipv4Reassembler.REASON_FRAG_OVERSIZE, reassembler.lastReason());
        assertNothingPending();
    }

    // ------------------------------------------------------------------------------------------------------
    // DF and ECN
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldSetDfWhenTheLargestFragmentHadDf()
    {
        final byte[] original = datagram(random, 64, 18, Datagrams.SRC, Datagrams.DST, 17, new byte[0], 0,
            Ipv4Flyweight.FLAG_DONT_FRAGMENT);
        offer(fragment(original, 0, 48, true));
        final int buffer = offer(fragment(original, 48, 16, false));

        assertArrayEquals(original, completed(buffer));
        assertEquals(68, reassembler.maxFragmentSize(buffer));
    }

    @Test
    void shouldClearDfWhenOnlySmallerFragmentsHadDf()
    {
        final byte[] original = datagram(random, 64, 19);
        final byte[] small = fragment(original, 48, 16, false);
        small[6] |= 0x40;
        Datagrams.updateChecksum(small);
        offer(fragment(original, 0, 48, true));

        final int buffer = offer(small);

        assertEquals(0, new Ipv4Flyweight().wrap(reassembler.datagramAddress(buffer)).flagsAndFragmentOffset());
        assertArrayEquals(original, completed(buffer));
    }

    @Test
    void shouldMarkCongestionWhenAnyEctFragmentHadCe()
    {
        final byte[] original = datagram(random, 64, 20, Datagrams.SRC, Datagrams.DST, 17, new byte[0], 0x02, 0);
        final byte[] marked = fragment(original, 32, 32, false);
        marked[1] = 0x03;
        Datagrams.updateChecksum(marked);
        offer(fragment(original, 0, 32, true));

        final int buffer = offer(marked);

        final Ipv4Flyweight header = new Ipv4Flyweight().wrap(reassembler.datagramAddress(buffer));
        assertEquals(0x03, header.ecn());
        assertTrue(header.isHeaderChecksumValid());
    }

    @Test
    void shouldFailDatagramMixingNotEctWithEctFragments()
    {
        final byte[] original = datagram(random, 64, 21);
        final byte[] ect = fragment(original, 32, 32, false);
        ect[1] = 0x02;
        Datagrams.updateChecksum(ect);
        offer(fragment(original, 0, 32, true));

        assertEquals(DROPPED, offer(ect));

        assertEquals(Ipv4Reassembler.REASON_FRAG_ECN, reassembler.lastReason());
        assertCounters(2, 0, 1, 0, 0);
        assertNothingPending();
    }

    // ------------------------------------------------------------------------------------------------------
    // Time and limits
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldExpireIncompleteDatagramAfterTheTimeout()
    {
        final byte[] original = datagram(random, 64, 22);
        offer(fragment(original, 0, 32, true), NOW);

        assertEquals(0, reassembler.expire(NOW + TIMEOUT_NS - 1, 10));
        assertEquals(1, reassembler.pending());
        assertEquals(1, reassembler.expire(NOW + TIMEOUT_NS, 10));

        assertCounters(1, 0, 1, 1, 0);
        assertNothingPending();
        // the missing fragment, late, starts a new datagram
        assertEquals(HELD, offer(fragment(original, 32, 32, false), NOW + TIMEOUT_NS));
    }

    @Test
    void shouldExpireNoMoreThanTheBudgetOldestFirst()
    {
        final byte[] first = datagram(random, 64, 23);
        final byte[] second = datagram(random, 64, 24);
        final byte[] third = datagram(random, 64, 25);
        offer(fragment(first, 0, 32, true), NOW);
        offer(fragment(second, 0, 32, true), NOW + 1);
        offer(fragment(third, 0, 32, true), NOW + 2);

        assertEquals(2, reassembler.expire(NOW + TIMEOUT_NS + 10, 2));

        assertEquals(1, reassembler.pending());
        final int buffer = offer(fragment(third, 32, 32, false), NOW + 3);
        assertArrayEquals(third, completed(buffer));
        assertCounters(4, 1, 2, 2, 0);
    }

    @Test
    void shouldNotCountTimeFromLaterFragments()
    {
        final byte[] original = datagram(random, 96, 26);
        offer(fragment(original, 0, 32, true), NOW);
        offer(fragment(original, 32, 32, true), NOW + TIMEOUT_NS - 1);

        assertEquals(1, reassembler.expire(NOW + TIMEOUT_NS, 10));
    }

    @Test
    void shouldExpireOnLookupAFragmentQueueWhoseTimeIsUp()
    {
        final byte[] original = datagram(random, 64, 27);
        offer(fragment(original, 0, 32, true), NOW);

        assertEquals(HELD, offer(fragment(original, 32, 32, false), NOW + TIMEOUT_NS));

        assertCounters(2, 0, 1, 1, 0);
        assertEquals(1, reassembler.pending());
    }

    @Test
    void shouldRefuseFragmentsWhileTheMemoryLimitWouldBeExceeded()
    {
        reassembler.close();
        reassembler = new Ipv4Reassembler(8, 100, 8, 16, TIMEOUT_NS, 1);
        final byte[] first = datagram(random, 96, 28);
        final byte[] second = datagram(random, 96, 29);

        assertEquals(HELD, offer(fragment(first, 0, 48, true)));
        assertEquals(68, reassembler.pendingBytes());
        assertEquals(DROPPED, offer(fragment(second, 0, 48, true)));
        assertEquals(DROPPED, offer(fragment(first, 48, 48, false)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_NOMEM, reassembler.lastReason());
        assertEquals(2, reassembler.counter(Ipv4Reassembler.MEMORY_LIMIT_DROPS));
        assertCounters(3, 0, 2, 0, 0);
        // once the held datagram has timed out, memory is free again
        reassembler.expire(NOW + TIMEOUT_NS, 10);
        assertEquals(HELD, offer(fragment(second, 0, 48, true)));
    }

    @Test
    void shouldRefuseNewDatagramFromSourceAtItsLimitButNotFromOthers()
    {
        reassembler.close();
        reassembler = new Ipv4Reassembler(8, 1 << 20, 2, 16, TIMEOUT_NS, 1);
        final byte[] a1 = datagram(random, 64, 30);
        final byte[] a2 = datagram(random, 64, 31);
        final byte[] a3 = datagram(random, 64, 32);
        final byte[] b1 = datagram(random, 64, 30, Datagrams.SRC + 9, Datagrams.DST, 17, new byte[0], 0, 0);

        assertEquals(HELD, offer(fragment(a1, 0, 32, true)));
        assertEquals(HELD, offer(fragment(a2, 0, 32, true)));
        assertEquals(DROPPED, offer(fragment(a3, 0, 32, true)));
        assertEquals(HELD, offer(fragment(b1, 0, 32, true)));
        assertEquals(1, reassembler.counter(Ipv4Reassembler.SOURCE_LIMIT_DROPS));

        // a datagram of the source completes: the source may start another
        reassembler.release(offer(fragment(a1, 32, 32, false)));
        assertEquals(HELD, offer(fragment(a3, 0, 32, true)));
    }

    @Test
    void shouldRefuseNewDatagramWhenEveryBufferIsInUse()
    {
        reassembler.close();
        reassembler = new Ipv4Reassembler(2, 1 << 20, 2, 16, TIMEOUT_NS, 1);
        final byte[] first = datagram(random, 64, 33);
        final byte[] second = datagram(random, 64, 34);
        final byte[] third = datagram(random, 64, 35);
        offer(fragment(first, 0, 32, true));
        assertEquals(HELD, offer(fragment(second, 32, 32, false)));
        final int completed = offer(fragment(second, 0, 32, true));
        assertTrue(completed >= 0);

        assertEquals(DROPPED, offer(fragment(third, 0, 32, true)));
        assertEquals(1, reassembler.counter(Ipv4Reassembler.NO_BUFFER_DROPS));

        reassembler.release(completed);
        assertEquals(HELD, offer(fragment(third, 0, 32, true)));
    }

    @Test
    void shouldFailDatagramNeedingMoreRunsThanAllowed()
    {
        reassembler.close();
        reassembler = new Ipv4Reassembler(2, 1 << 20, 2, 3, TIMEOUT_NS, 1);
        final byte[] original = datagram(random, 64, 36);
        offer(fragment(original, 56, 8, false));
        offer(fragment(original, 40, 8, true));
        offer(fragment(original, 24, 8, true));

        assertEquals(DROPPED, offer(fragment(original, 8, 8, true)));

        assertEquals(Ipv4Reassembler.REASON_FRAG_NOMEM, reassembler.lastReason());
        assertNothingPending();
    }

    /**
     * Many datagrams from a few sources, fragments interleaved at random, with some fragments lost: the
     * table keeps finding the right datagram while entries come and go, every complete one is byte for
     * byte the original, and the lost ones time out.
     */
    @Test
    void shouldReassembleInterleavedDatagramsWhileOthersComeAndGo()
    {
        reassembler.close();
        reassembler = new Ipv4Reassembler(64, 1 << 22, 64, 64, TIMEOUT_NS, random.nextInt());
        final List<byte[]> originals = new ArrayList<>();
        final List<byte[]> fragments = new ArrayList<>();
        final List<Integer> owners = new ArrayList<>();
        final boolean[] lossy = new boolean[400];
        for (int d = 0; d < lossy.length; d++)
        {
            final byte[] original = datagram(random, 16 + random.nextInt(3000), d & 0xFFFF,
                Datagrams.SRC + (d % 5), Datagrams.DST, 17, new byte[0], 0, 0);
            originals.add(original);
            final int pieces = 2 + random.nextInt(19);
            final int payload = original.length - 20;
            final List<byte[]> parts = split(original, ((payload + pieces - 1) / pieces + 7) & ~7);
            lossy[d] = random.nextInt(10) == 0;
            for (int p = lossy[d] ? 1 : 0; p < parts.size(); p++)
            {
                fragments.add(parts.get(p));
                owners.add(d);
            }
        }
        // interleave: shuffle within windows of 60 fragments, so at most a few dozen datagrams are open
        for (int start = 0; start < fragments.size(); start += 60)
        {
            final int end = Math.min(fragments.size(), start + 60);
            final List<Integer> order = new ArrayList<>();
            for (int i = start; i < end; i++)
            {
                order.add(i);
            }
            Collections.shuffle(order, random);
            final List<byte[]> window = new ArrayList<>();
            final List<Integer> windowOwners = new ArrayList<>();
            for (final int i : order)
            {
                window.add(fragments.get(i));
                windowOwners.add(owners.get(i));
            }
            for (int i = start; i < end; i++)
            {
                fragments.set(i, window.get(i - start));
                owners.set(i, windowOwners.get(i - start));
            }
        }

        int completed = 0;
        long now = NOW;
        for (int i = 0; i < fragments.size(); i++)
        {
            now += 1_000_000;
            final int result = offer(fragments.get(i), now);
            if (result >= 0)
            {
                assertArrayEquals(originals.get(owners.get(i)), completed(result));
                reassembler.release(result);
                completed++;
            }
            else
            {
                assertEquals(HELD, result, "fragment " + i);
            }
            reassembler.expire(now, 4);
        }

        int lost = 0;
        for (final boolean l : lossy)
        {
            lost += l ? 1 : 0;
        }
        assertEquals(originals.size() - lost, completed);
        assertEquals(lost, reassembler.pending() + reassembler.counter(Ipv4Reassembler.REASM_TIMEOUT));
        reassembler.expire(now + TIMEOUT_NS, Integer.MAX_VALUE);
        assertNothingPending();
        assertEquals(lost, reassembler.counter(Ipv4Reassembler.REASM_TIMEOUT));
    }
}
