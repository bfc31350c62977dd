package io.flowgate.pipeline.conntrack.diff;

import java.util.HexFormat;

/**
 * One packet of a corpus case: the whole IPv4 packet, the side it enters the router from, and the wall
 * time a subject must let pass before sending it (0 almost always; Linux's UDP stream detection needs 2 s).
 *
 * @param side        CLIENT = the original direction's side (10.77.1.0/24, veth A), SERVER = the reply side (10.77.2.0/24, veth B)
 * @param bytes       the IP packet, header first, checksums filled in
 * @param pauseMillis time to let pass before this packet
 */
public record CorpusPacket(Side side, byte[] bytes, long pauseMillis)
{
    public enum Side
    {
        CLIENT,
        SERVER
    }

    public CorpusPacket(final Side side, final byte[] bytes)
    {
        this(side, bytes, 0);
    }

    public String hex()
    {
        return HexFormat.of().formatHex(bytes);
    }

    public String describe()
    {
        return (side == Side.CLIENT ? "C> " : "S> ") + PacketBuilder.describe(bytes) + (pauseMillis > 0 ? " (after " + pauseMillis + " ms)" : "");
    }

    @Override
    public String toString()
    {
        return describe();
    }
}
