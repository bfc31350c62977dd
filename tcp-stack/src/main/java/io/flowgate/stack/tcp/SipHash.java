package io.flowgate.stack.tcp;

/**
 * SipHash-2-4 (Aumasson and Bernstein, 2012) over a message of whole 64-bit little-endian words, as Linux's
 * siphash_*u64/u32 helpers use it for ISNs and SYN cookies. One instance is reused by a single thread: no allocation.
 * Usage: {@code init(k0, k1); word(a); word(b); return finish(2);}.
 */
final class SipHash
{
    private long v0;
    private long v1;
    private long v2;
    private long v3;

    void init(final long k0, final long k1)
    {
        v0 = k0 ^ 0x736f6d6570736575L;
        v1 = k1 ^ 0x646f72616e646f6dL;
        v2 = k0 ^ 0x6c7967656e657261L;
        v3 = k1 ^ 0x7465646279746573L;
    }

    void word(final long m)
    {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }

    /** Ends a message of {@code words} whole words. */
    long finish(final int words)
    {
        return finishBlock(((long)(words << 3) & 0xFF) << 56);
    }

    /** Ends the message with its last block (0..7 trailing bytes, little-endian, length mod 256 in the top byte). */
    long finishBlock(final long lastBlock)
    {
        word(lastBlock);
        v2 ^= 0xFF;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }

    private void round()
    {
        v0 += v1;
        v1 = Long.rotateLeft(v1, 13);
        v1 ^= v0;
        v0 = Long.rotateLeft(v0, 32);
        v2 += v3;
        v3 = Long.rotateLeft(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = Long.rotateLeft(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = Long.rotateLeft(v1, 17);
        v1 ^= v2;
        v2 = Long.rotateLeft(v2, 32);
    }

    /** SplitMix64, to derive keys from a seed. */
    static long mix(final long z0)
    {
        long z = z0 + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
