package io.flowgate.pipeline.defrag;

import io.flowgate.pmd.header.Ipv4Flyweight;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fragment, shuffle, reassemble, refragment: random datagram sizes, options and MTUs from a fixed seed.
 */
class FragmentRoundTripTest
{
    private static final int BUFFERS = 1400;   // 65535 bytes at MTU 68 need 1365
    private static final int BUFFER_BYTES = 9216;

    private final Arena arena = Arena.ofConfined();
    private final long[] buffers = new long[BUFFERS];
    private final int[] lengths = new int[BUFFERS];
    private final long[] again = new long[BUFFERS];
    private final int[] againLengths = new int[BUFFERS];
    private final Ipv4Fragmenter fragmenter = new Ipv4Fragmenter();
    private final Ipv4Reassembler reassembler =
        new Ipv4Reassembler(4, 1L << 30, 4, 2048, Ipv4Reassembler.DEFAULT_TIMEOUT_NS, 77);

    FragmentRoundTripTest()
    {
        final long pool = arena.allocate(2L * BUFFERS * BUFFER_BYTES, 64).address();
        for (int i = 0; i < BUFFERS; i++)
        {
            buffers[i] = pool + (long)i * BUFFER_BYTES;
            again[i] = pool + (long)(BUFFERS + i) * BUFFER_BYTES;
        }
    }

    @AfterEach
    void close()
    {
        reassembler.close();
        arena.close();
    }

    @Test
    void shouldReassembleWhatItFragmentedAndRefragmentToTheSameFragments()
    {
        final Random random = new Random(20261123);
        for (int round = 0; round < 300; round++)
        {
            final byte[] options = randomOptions(random);
            final int headerLength = 20 + ((options.length + 3) & ~3);
            final int maxPayload = 65535 - headerLength;
            final int payload = random.nextInt(4) == 0 ? maxPayload - random.nextInt(64) : 16 + random.nextInt(9000);
            final int mtu = Math.max(68, headerLength + 8) + random.nextInt(random.nextBoolean() ? 1500 : 9000 - 68);
            final byte[] original = Datagrams.datagram(random, Math.min(payload, maxPayload), random.nextInt(65536),
                random.nextInt(), random.nextInt(), 17, options, random.nextInt(256) & 0xFC, 0);
            final long address = Datagrams.load(arena, original);
            final String where = "round " + round + " payload " + payload + " mtu " + mtu + " options " + options.length;

            final int count = fragmenter.fragment(address, mtu, buffers, lengths, BUFFERS);

            assertEquals(Ipv4Fragmenter.fragmentCount(address, mtu), count, where);
            int expectedOffset = 0;
            for (int f = 0; f < count; f++)
            {
                final Ipv4Flyweight fragment = new Ipv4Flyweight().wrap(buffers[f]);
                assertTrue(fragment.isHeaderChecksumValid(), where + " fragment " + f);
                assertTrue(lengths[f] <= mtu, where);
                assertEquals(lengths[f], fragment.totalLength(), where);
                assertEquals(expectedOffset, fragment.fragmentOffset() * 8, where);
                assertEquals(f < count - 1, fragment.moreFragments(), where);
                assertEquals(headerLength, fragment.headerLength(), where);
                if (f < count - 1)
                {
                    assertEquals(0, (lengths[f] - headerLength) % 8, where);
                }
                expectedOffset += lengths[f] - headerLength;
            }
            assertEquals(original.length - headerLength, expectedOffset, where);

            if (count == 1)
            {
                assertArrayEquals(original, Datagrams.read(buffers[0], lengths[0]), where);
                continue;
            }

            final List<Integer> order = new ArrayList<>();
            for (int f = 0; f < count; f++)
            {
                order.add(f);
            }
            Collections.shuffle(order, random);
            int result = Ipv4Reassembler.HELD;
            for (final int f : order)
            {
                result = reassembler.offer(buffers[f], lengths[f], round);
            }
            assertTrue(result >= 0, where);
            final long datagram = reassembler.datagramAddress(result);
            assertArrayEquals(original, Datagrams.read(datagram, reassembler.datagramLength(result)), where);
            assertTrue(Datagrams.isHeaderChecksumValid(datagram), where);

            final int recount = fragmenter.refragment(
                datagram, 65535, reassembler.maxFragmentSize(result), again, againLengths, BUFFERS);
            assertEquals(count, recount, where);
            for (int f = 0; f < count; f++)
            {
                assertArrayEquals(
                    Datagrams.read(buffers[f], lengths[f]), Datagrams.read(again[f], againLengths[f]), where);
            }
            reassembler.release(result);
        }
        assertEquals(0, reassembler.pending());
    }

    /** 0 to 40 bytes of well-formed options: some copied, some not, some NOPs. */
    private static byte[] randomOptions(final Random random)
    {
        final ByteArrayOutputStream options = new ByteArrayOutputStream();
        while (random.nextInt(3) != 0)
        {
            final int room = 40 - options.size();
            switch (random.nextInt(4))
            {
                case 0 ->
                {
                    if (room >= 1)
                    {
                        options.write(1);   // NOP
                    }
                }
                case 1 ->
                {
                    if (room >= 4)
                    {
                        options.writeBytes(new byte[] {(byte)0x94, 4, 0, 0});   // Router Alert, copied
                    }
                }
                case 2 ->
                {
                    if (room >= 7)
                    {
                        final int slots = 1 + random.nextInt(Math.min(9, (room - 3) / 4));
                        options.write(7);   // Record Route, not copied
                        options.write(3 + 4 * slots);
                        options.write(4);
                        options.writeBytes(new byte[4 * slots]);
                    }
                }
                default ->
                {
                    if (room >= 4)
                    {
                        options.writeBytes(new byte[] {(byte)0x88, 4, 0x12, 0x34});   // Stream ID, copied
                    }
                }
            }
        }
        return Arrays.copyOf(options.toByteArray(), options.size());
    }
}
