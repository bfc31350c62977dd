package io.flowgate.stack.buffer;

import io.flowgate.nativebindings.Memory;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ByteRingTest
{
    private static byte[] bytes(final int from, final int length)
    {
        final byte[] b = new byte[length];
        for (int i = 0; i < length; i++)
        {
            b[i] = (byte)(from + i);
        }
        return b;
    }

    @Test
    void shouldWriteWhatFitsAndReadInOrderAcrossTheWrap()
    {
        try (ByteRingPool pool = new ByteRingPool(1 << 16))
        {
            final ByteRing ring = pool.acquire(10);
            assertEquals(16, ring.capacity());
            assertEquals(16, ring.free());
            assertEquals(10, ring.write(bytes(0, 10), 0, 10));
            final byte[] out = new byte[7];
            assertEquals(7, ring.read(out, 0, 7));
            assertArrayEquals(bytes(0, 7), out);
            assertEquals(13, ring.free());
            assertEquals(13, ring.write(bytes(10, 20), 0, 20), "only what fits");
            assertEquals(0, ring.write(bytes(0, 1), 0, 1), "full");
            assertEquals(16, ring.size());
            final byte[] all = new byte[32];
            assertEquals(16, ring.read(all, 0, 32));
            final byte[] expected = new byte[16];
            System.arraycopy(bytes(7, 16), 0, expected, 0, 16);
            assertArrayEquals(expected, java.util.Arrays.copyOf(all, 16));
            assertEquals(0, ring.read(all, 0, 32), "empty");
        }
    }

    @Test
    void shouldCopyOutWithoutConsumingThenReleaseOnAcknowledgement()
    {
        try (ByteRingPool pool = new ByteRingPool(1 << 16); Arena arena = Arena.ofConfined())
        {
            final long src = arena.allocate(64).address();
            final long dst = arena.allocate(64).address();
            for (int i = 0; i < 64; i++)
            {
                Memory.putByte(src, (byte)i);
            }
            MemoryFill.sequence(src, 64, 100);
            final ByteRing ring = pool.acquire(32);
            ring.write(src, 20);
            ring.release(12);
            assertEquals(20, ring.write(src + 20, 20), "wraps");
            assertEquals(28, ring.size());
            ring.copyOut(4, dst, 20); // stream offsets 16..35 cross the wrap
            for (int i = 0; i < 20; i++)
            {
                assertEquals((byte)(100 + 16 + i), Memory.getByte(dst + i));
            }
            assertEquals(28, ring.size(), "copyOut does not consume");
            assertThrows(IndexOutOfBoundsException.class, () -> ring.copyOut(20, dst, 9));
            assertThrows(IllegalArgumentException.class, () -> ring.release(29));
            ring.release(28);
            assertEquals(0, ring.size());
            assertEquals(32, ring.free());
        }
    }

    @Test
    void shouldWriteOutOfOrderBeyondTheProducerPositionAndPublishOnCommit()
    {
        try (ByteRingPool pool = new ByteRingPool(1 << 16); Arena arena = Arena.ofConfined())
        {
            final long src = arena.allocate(64).address();
            final long dst = arena.allocate(64).address();
            MemoryFill.sequence(src, 64, 0);
            final ByteRing ring = pool.acquire(32);
            ring.write(src, 24);
            ring.release(24); // positions at 24: the next writes wrap
            assertTrue(ring.writeAt(10, src + 10, 10), "a segment past a hole");
            assertEquals(0, ring.size(), "not published");
            assertFalse(ring.writeAt(30, src, 3), "beyond free space");
            assertTrue(ring.writeAt(0, src, 10), "the hole filled");
            ring.commit(20);
            assertEquals(20, ring.size());
            assertEquals(20, ring.read(dst, 64));
            for (int i = 0; i < 20; i++)
            {
                assertEquals((byte)i, Memory.getByte(dst + i));
            }
            assertThrows(IllegalArgumentException.class, () -> ring.commit(33));
        }
    }

    @Test
    void shouldReuseReleasedRingsClearedAndGrowBySlabs()
    {
        try (ByteRingPool pool = new ByteRingPool(1 << 12))
        {
            final ByteRing a = pool.acquire(1 << 12);
            final ByteRing b = pool.acquire(1 << 12);
            assertNotSame(a, b);
            assertEquals(2L << 12, pool.reservedBytes(), "a second slab");
            a.write(bytes(0, 5), 0, 5);
            pool.release(a);
            final ByteRing c = pool.acquire(3000);
            assertSame(a, c, "same size class reused");
            assertEquals(0, c.size(), "cleared");
            assertEquals(2L << 12, pool.reservedBytes());
            assertEquals(2, pool.inUse());
            assertNull(c.nextFree);
            assertThrows(IllegalArgumentException.class, () -> pool.acquire(0));
        }
    }

    /** Producer and consumer threads, random sizes through both array and address paths, content checked. */
    @Test
    void shouldPassEveryByteInOrderBetweenTwoThreads() throws Exception
    {
        final long total = 64L << 20;
        try (ByteRingPool pool = new ByteRingPool(1 << 16))
        {
            final ByteRing ring = pool.acquire(4096);
            final AtomicReference<Throwable> failure = new AtomicReference<>();
            final Thread producer = new Thread(() ->
            {
                try (Arena arena = Arena.ofConfined())
                {
                    final SplittableRandom random = new SplittableRandom(1);
                    final byte[] heap = new byte[3000];
                    final long off = arena.allocate(3000).address();
                    long written = 0;
                    while (written < total && failure.get() == null)
                    {
                        final int want = (int)Math.min(1 + random.nextInt(3000), total - written);
                        final int n;
                        if (random.nextBoolean())
                        {
                            for (int i = 0; i < want; i++)
                            {
                                heap[i] = (byte)((written + i) % 251);
                            }
                            n = ring.write(heap, 0, want);
                        }
                        else
                        {
                            for (int i = 0; i < want; i++)
                            {
                                Memory.putByte(off + i, (byte)((written + i) % 251));
                            }
                            n = ring.write(off, want);
                        }
                        written += n;
                        if (n == 0)
                        {
                            Thread.onSpinWait();
                        }
                    }
                }
            });
            producer.start();
            try (Arena arena = Arena.ofConfined())
            {
                final SplittableRandom random = new SplittableRandom(2);
                final byte[] heap = new byte[5000];
                final long off = arena.allocate(5000).address();
                long read = 0;
                while (read < total)
                {
                    final int want = 1 + random.nextInt(5000);
                    final int mode = random.nextInt(3);
                    if (mode == 0)
                    {
                        final int n = ring.read(heap, 0, want);
                        for (int i = 0; i < n; i++)
                        {
                            check(heap[i], read + i);
                        }
                        read += n;
                    }
                    else if (mode == 1)
                    {
                        final int n = ring.read(off, want);
                        for (int i = 0; i < n; i++)
                        {
                            check(Memory.getByte(off + i), read + i);
                        }
                        read += n;
                    }
                    else
                    {
                        final int size = ring.size();
                        final int n = Math.min(size, want);
                        final int skip = n == 0 ? 0 : random.nextInt(n);
                        ring.copyOut(skip, off, n - skip);
                        for (int i = 0; i < n - skip; i++)
                        {
                            check(Memory.getByte(off + i), read + skip + i);
                        }
                        ring.release(n);
                        read += n;
                    }
                }
            }
            catch (final Throwable t)
            {
                failure.set(t);
                throw t;
            }
            finally
            {
                producer.join();
            }
            assertEquals(0, ring.size());
        }
    }

    private static void check(final byte actual, final long streamOffset)
    {
        if (actual != (byte)(streamOffset % 251))
        {
            throw new AssertionError("byte " + streamOffset + ": " + actual);
        }
    }

    private static final class MemoryFill
    {
        static void sequence(final long address, final int length, final int first)
        {
            for (int i = 0; i < length; i++)
            {
                Memory.putByte(address + i, (byte)(first + i));
            }
        }
    }
}
