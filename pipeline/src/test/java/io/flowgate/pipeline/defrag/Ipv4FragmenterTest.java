package io.flowgate.pipeline.defrag;

import io.flowgate.pmd.header.Ipv4Flyweight;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.defrag.Datagrams.datagram;
import static io.flowgate.pipeline.defrag.Datagrams.fragment;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4FragmenterTest
{
    private static final int BUFFERS = 64;
    private static final int BUFFER_BYTES = 2048;

    private final Arena arena = Arena.ofConfined();
    private final Random random = new Random(11);
    private final Ipv4Fragmenter fragmenter = new Ipv4Fragmenter();
    private final long[] buffers = new long[BUFFERS];
    private final int[] lengths = new int[BUFFERS];
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    Ipv4FragmenterTest()
    {
        final long pool = arena.allocate((long)BUFFERS * BUFFER_BYTES, 64).address();
        for (int i = 0; i < BUFFERS; i++)
        {
            buffers[i] = pool + (long)i * BUFFER_BYTES;
        }
    }

    @AfterEach
    void close()
    {
        arena.close();
    }

    private byte[] written(final int fragment)
    {
        return Datagrams.read(buffers[fragment], lengths[fragment]);
    }

    @Test
    void shouldSplitIntoFragmentsOfEightByteMultiplesWithOffsetsAndMoreFragments()
    {
        // 1500 bytes at MTU 576: 556 payload bytes fit, 552 is their multiple of 8
        final byte[] original = datagram(random, 1480, 0xabcd);
        final long address = Datagrams.load(arena, original);

        assertTrue(Ipv4Fragmenter.needsFragmentation(address, 576));
        assertEquals(3, Ipv4Fragmenter.fragmentCount(address, 576));
        assertEquals(3, fragmenter.fragment(address, 576, buffers, lengths, BUFFERS));

        assertArrayEquals(new int[] {572, 572, 396}, Arrays.copyOf(lengths, 3));
        final int[] offsets = {0, 69, 138};
        for (int f = 0; f < 3; f++)
        {
            ipv4.wrap(buffers[f]);
            assertEquals(offsets[f], ipv4.fragmentOffset(), "fragment " + f);
            assertEquals(f < 2, ipv4.moreFragments(), "fragment " + f);
            assertFalse(ipv4.dontFragment());
            assertEquals(lengths[f], ipv4.totalLength());
            assertEquals(0xabcd, ipv4.id());
            assertEquals(64, ipv4.ttl());
            assertEquals(Datagrams.SRC, ipv4.srcAddress());
            assertEquals(Datagrams.DST, ipv4.dstAddress());
            assertTrue(ipv4.isHeaderChecksumValid(), "fragment " + f);
            assertArrayEquals(
                Arrays.copyOfRange(original, 20 + offsets[f] * 8, 20 + offsets[f] * 8 + lengths[f] - 20),
                Arrays.copyOfRange(written(f), 20, lengths[f]));
        }
        assertEquals(1, fragmenter.counter(Ipv4Fragmenter.FRAG_OKS));
        assertEquals(3, fragmenter.counter(Ipv4Fragmenter.FRAG_CREATES));
    }

    @Test
    void shouldLeaveTheDatagramItselfUnchanged()
    {
        final byte[] options = {7, 7, 4, 0, 0, 0, 0, 1};
        final byte[] original = datagram(random, 1000, 1, Datagrams.SRC, Datagrams.DST, 17, options, 0, 0);
        final long address = Datagrams.load(arena, original);

        fragmenter.fragment(address, 300, buffers, lengths, BUFFERS);

        assertArrayEquals(original, Datagrams.read(address, original.length));
    }

    @Test
    void shouldLetTheLastFragmentUseTheWholePayloadMtu()
    {
        // MTU 77: 57 payload bytes fit, 56 is their multiple of 8; 113 bytes go as 56 + 57, as ip_frag_next
        final byte[] original = datagram(random, 113, 2);
        final long address = Datagrams.load(arena, original);

        assertEquals(2, fragmenter.fragment(address, 77, buffers, lengths, BUFFERS));

        assertEquals(76, lengths[0]);
        assertEquals(77, lengths[1]);
        assertEquals(7, ipv4.wrap(buffers[1]).fragmentOffset());
    }

    @Test
    void shouldReportFragmentationNeededWhenDfIsSet()
    {
        final byte[] original = datagram(random, 1480, 3, Datagrams.SRC, Datagrams.DST, 17, new byte[0], 0,
            Ipv4Flyweight.FLAG_DONT_FRAGMENT);
        final long address = Datagrams.load(arena, original);

        assertEquals(Ipv4Fragmenter.FRAGMENTATION_NEEDED, fragmenter.fragment(address, 1400, buffers, lengths, BUFFERS));

        assertEquals(1, fragmenter.counter(Ipv4Fragmenter.FRAG_FAILS));
        assertEquals(0, fragmenter.counter(Ipv4Fragmenter.FRAG_CREATES));
    }

    @Test
    void shouldCopyDatagramThatFitsUnchangedEvenWithDf()
    {
        final byte[] original = datagram(random, 1000, 4, Datagrams.SRC, Datagrams.DST, 17, new byte[0], 0,
            Ipv4Flyweight.FLAG_DONT_FRAGMENT);
        final long address = Datagrams.load(arena, original);

        assertFalse(Ipv4Fragmenter.needsFragmentation(address, 1020));
        assertEquals(1, fragmenter.fragment(address, 1020, buffers, lengths, BUFFERS));

        assertArrayEquals(original, written(0));
        assertEquals(0, fragmenter.counter(Ipv4Fragmenter.FRAG_OKS));
    }

    @Test
    void shouldKeepOffsetAndMoreFragmentsWhenFragmentingANonLastFragment()
    {
        final byte[] datagram = datagram(random, 3000, 5);
        final byte[] middle = fragment(datagram, 800, 1000, true);
        final long address = Datagrams.load(arena, middle);

        final int count = fragmenter.fragment(address, 420, buffers, lengths, BUFFERS);

        assertEquals(3, count);
        int offset = 800;
        for (int f = 0; f < count; f++)
        {
            ipv4.wrap(buffers[f]);
            assertEquals(offset / 8, ipv4.fragmentOffset());
            assertTrue(ipv4.moreFragments(), "fragment " + f);
            offset += lengths[f] - 20;
        }
        assertEquals(1800, offset);
    }

    @Test
    void shouldClearMoreFragmentsOnlyOnTheLastPieceOfALastFragment()
    {
        final byte[] datagram = datagram(random, 3000, 6);
        final byte[] last = fragment(datagram, 2000, 1000, false);
        final long address = Datagrams.load(arena, last);

        final int count = fragmenter.fragment(address, 420, buffers, lengths, BUFFERS);

        for (int f = 0; f < count; f++)
        {
            assertEquals(f < count - 1, ipv4.wrap(buffers[f]).moreFragments(), "fragment " + f);
        }
    }

    @Test
    void shouldKeepOnlyOptionsWithTheCopyFlagInLaterFragments()
    {
        // Router Alert (0x94, copied), Record Route (0x07, not copied), Timestamp (0x44, not copied), NOP
        final byte[] options = {
            (byte)0x94, 4, 0, 0,
            7, 7, 4, 0, 0, 0, 0,
            0x44, 8, 5, 0, 0, 0, 0, 0,
            1};
        final byte[] original = datagram(random, 600, 7, Datagrams.SRC, Datagrams.DST, 17, options, 0, 0);
        final long address = Datagrams.load(arena, original);

        final int count = fragmenter.fragment(address, 300, buffers, lengths, BUFFERS);

        assertTrue(count > 2);
        assertArrayEquals(Arrays.copyOfRange(original, 0, 40), withoutVaryingFields(written(0), original));
        final byte[] later = {
            (byte)0x94, 4, 0, 0,
            1, 1, 1, 1, 1, 1, 1,
            1, 1, 1, 1, 1, 1, 1, 1,
            1};
        for (int f = 1; f < count; f++)
        {
            final byte[] header = Arrays.copyOf(written(f), 40);
            assertEquals(0x4a, header[0] & 0xFF);
            assertArrayEquals(later, Arrays.copyOfRange(header, 20, 40), "fragment " + f);
            assertTrue(Datagrams.isHeaderChecksumValid(buffers[f]));
        }
    }

    @Test
    void shouldLeaveOptionsOfANonFirstFragmentAsTheyAre()
    {
        final byte[] options = {7, 7, 4, 0, 0, 0, 0, 1};
        final byte[] datagram = datagram(random, 3000, 8, Datagrams.SRC, Datagrams.DST, 17, options, 0, 0);
        final long address = Datagrams.load(arena, fragment(datagram, 800, 1000, true));

        final int count = fragmenter.fragment(address, 420, buffers, lengths, BUFFERS);

        for (int f = 0; f < count; f++)
        {
            assertArrayEquals(options, Arrays.copyOfRange(written(f), 20, 28), "fragment " + f);
        }
    }

    /** The header of a first fragment with the fields fragmenting changes put back to the original's. */
    private static byte[] withoutVaryingFields(final byte[] fragment, final byte[] original)
    {
        final byte[] header = Arrays.copyOf(fragment, 40);
        for (final int field : new int[] {2, 3, 6, 7, 10, 11})
        {
            header[field] = original[field];
        }
        return header;
    }

    @Test
    void shouldRefuseAnMtuThatLeavesNoRoomForEightBytes()
    {
        final byte[] options = new byte[40];
        Arrays.fill(options, (byte)1);
        final long withOptions = Datagrams.load(
            arena, datagram(random, 100, 9, Datagrams.SRC, Datagrams.DST, 17, options, 0, 0));
        final long plain = Datagrams.load(arena, datagram(random, 100, 10));

        assertEquals(Ipv4Fragmenter.MTU_TOO_SMALL, fragmenter.fragment(withOptions, 67, buffers, lengths, BUFFERS));
        assertEquals(13, fragmenter.fragment(withOptions, 68, buffers, lengths, BUFFERS));
        assertEquals(Ipv4Fragmenter.MTU_TOO_SMALL, fragmenter.fragment(plain, 60, buffers, lengths, BUFFERS));
        assertEquals(2, fragmenter.counter(Ipv4Fragmenter.FRAG_FAILS));
    }

    @Test
    void shouldRefuseWhenGivenTooFewBuffers()
    {
        final long address = Datagrams.load(arena, datagram(random, 1480, 11));

        assertEquals(Ipv4Fragmenter.TOO_FEW_BUFFERS, fragmenter.fragment(address, 576, buffers, lengths, 2));

        assertEquals(1, fragmenter.counter(Ipv4Fragmenter.FRAG_FAILS));
    }

    // ------------------------------------------------------------------------------------------------------
    // Refragmenting reassembled datagrams
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldRefragmentToTheLargestOriginalFragmentEvenWhenTheDatagramFitsTheMtu()
    {
        final long address = Datagrams.load(arena, datagram(random, 1000, 12));

        assertEquals(2, fragmenter.refragment(address, 1500, 524, buffers, lengths, BUFFERS));

        assertEquals(524, lengths[0]);
        assertEquals(516, lengths[1]);
    }

    @Test
    void shouldKeepDfOnEveryFragmentOfAReassembledDfDatagram()
    {
        final long address = Datagrams.load(arena, datagram(random, 1000, 13, Datagrams.SRC, Datagrams.DST, 17,
            new byte[0], 0, Ipv4Flyweight.FLAG_DONT_FRAGMENT));

        final int count = fragmenter.refragment(address, 1500, 420, buffers, lengths, BUFFERS);

        assertEquals(3, count);
        for (int f = 0; f < count; f++)
        {
            ipv4.wrap(buffers[f]);
            assertTrue(ipv4.dontFragment());
            assertEquals(f < 2, ipv4.moreFragments());
            assertTrue(ipv4.isHeaderChecksumValid());
        }
    }

    @Test
    void shouldReportFragmentationNeededWhenTheLargestDfFragmentExceedsTheMtu()
    {
        final long address = Datagrams.load(arena, datagram(random, 1000, 14, Datagrams.SRC, Datagrams.DST, 17,
            new byte[0], 0, Ipv4Flyweight.FLAG_DONT_FRAGMENT));

        assertEquals(Ipv4Fragmenter.FRAGMENTATION_NEEDED, fragmenter.refragment(address, 500, 520, buffers, lengths, BUFFERS));
    }

    @Test
    void shouldRefragmentDatagramWithoutDfToTheSmallerOfMtuAndLargestFragment()
    {
        final long address = Datagrams.load(arena, datagram(random, 1000, 15));

        final int count = fragmenter.refragment(address, 276, 1020, buffers, lengths, BUFFERS);

        assertEquals(4, count);
        assertEquals(276, lengths[0]);
        assertFalse(ipv4.wrap(buffers[0]).dontFragment());
    }
}
