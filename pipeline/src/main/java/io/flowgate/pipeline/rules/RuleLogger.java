package io.flowgate.pipeline.rules;

import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongFunction;

import io.flowgate.nativebindings.Memory;

/**
 * The logger thread of the {@code log} statement: drains every worker's {@link LogRing} and prints each record as
 * the kernel's {@code nf_log} line ({@code nf_log_syslog.c}: {@code dump_ipv4_packet}, {@code dump_ipv6_packet}),
 * e.g. {@code PREFIX IN=eth0 OUT= MAC=.. SRC=10.0.0.1 DST=10.0.0.2 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 DF
 * PROTO=TCP SPT=1000 DPT=80 WINDOW=64240 RES=0x00 SYN URGP=0 }, to a sink (stderr by default).
 * <p>
 * Thread-safety: {@link #drain} on one thread (its own, or a test's). Shutdown: {@link #close} stops the thread
 * after a last drain.
 */
public final class RuleLogger implements AutoCloseable
{
    private final List<LogRing> rings = new CopyOnWriteArrayList<>();
    private final LongFunction<CompiledRuleset> rulesets;
    private final List<String> portNames;
    private volatile Consumer<String> sink = line -> System.err.println(line);
    private volatile boolean running;
    private Thread thread;
    private final StringBuilder line = new StringBuilder(256);
    private long printed;

    RuleLogger(final LongFunction<CompiledRuleset> rulesets, final List<String> portNames)
    {
        this.rulesets = rulesets;
        this.portNames = portNames;
    }

    void add(final LogRing ring)
    {
        rings.add(ring);
    }

    /** Where the lines go (stderr by default). */
    public void sink(final Consumer<String> sink)
    {
        this.sink = sink;
    }

    /** Lines printed so far. */
    public long printed()
    {
        return printed;
    }

    synchronized void start()
    {
        if (thread != null)
        {
            return;
        }
        running = true;
        thread = new Thread(() ->
        {
            while (running)
            {
                if (drain() == 0)
                {
                    try
                    {
                        Thread.sleep(1);
                    }
                    catch (final InterruptedException e)
                    {
                        return;
                    }
                }
            }
            drain();
        }, "flowgate-nft-log");
        thread.setDaemon(true);
        thread.start();
    }

    /** Prints what the rings hold; returns the lines printed. */
    public int drain()
    {
        int n = 0;
        for (final LogRing ring : rings)
        {
            long record;
            for (int k = 0; k < 256 && (record = ring.poll()) != 0; k++)
            {
                print(record);
                ring.release();
                n++;
            }
        }
        return n;
    }

    private void print(final long index)
    {
        final Buf buffer = BUF;
        final CompiledRuleset rules = rulesets.apply(buffer.getLong(index + LogRing.VERSION));
        final int log = buffer.getInt(index + LogRing.LOG);
        line.setLength(0);
        if (rules != null && log < rules.logPrefixes.length)
        {
            line.append(rules.logPrefixes[log]);
        }
        line.append("IN=").append(name(buffer.getInt(index + LogRing.IIF)))
            .append(" OUT=").append(name(buffer.getInt(index + LogRing.OIF))).append(' ');
        if (buffer.getInt(index + LogRing.HAS_MAC) != 0 && buffer.getInt(index + LogRing.IIF) >= 0)
        {
            line.append("MAC=");
            for (int b = 0; b < 14; b++)
            {
                hex2(b == 0 ? line : line.append(':'), buffer.getByte(index + LogRing.MAC + b) & 0xFF, false);
            }
            line.append(' ');
        }
        final long at = index + LogRing.L3;
        final int len = buffer.getInt(index + LogRing.LENGTH);
        if (buffer.getInt(index + LogRing.FAMILY) == CompiledRuleset.FAMILY_IPV4)
        {
            ipv4(buffer, at, len);
        }
        else
        {
            ipv6(buffer, at, len);
        }
        printed++;
        sink.accept(line.toString());
    }

    private String name(final int port)
    {
        return port >= 0 && port < portNames.size() && portNames.get(port) != null ? portNames.get(port) : "";
    }

    private void ipv4(final Buf b, final long at, final int len)
    {
        if (len < 20)
        {
            line.append("TRUNCATED");
            return;
        }
        final int ihl = (b.getByte(at) & 0x0F) << 2;
        final int tos = b.getByte(at + 1) & 0xFF;
        final int frag = u16(b, at + 6);
        final int proto = b.getByte(at + 9) & 0xFF;
        line.append("SRC=").append(ipv4(b, at + 12)).append(" DST=").append(ipv4(b, at + 16)).append(' ');
        line.append("LEN=").append(u16(b, at + 2)).append(" TOS=0x");
        hex2(line, tos & 0x1E, true);
        line.append(" PREC=0x");
        hex2(line, tos & 0xE0, true);
        line.append(" TTL=").append(b.getByte(at + 8) & 0xFF).append(" ID=").append(u16(b, at + 4)).append(' ');
        if ((frag & 0x8000) != 0)
        {
            line.append("CE ");
        }
        if ((frag & 0x4000) != 0)
        {
            line.append("DF ");
        }
        if ((frag & 0x2000) != 0)
        {
            line.append("MF ");
        }
        if ((frag & 0x1FFF) != 0)
        {
            line.append("FRAG:").append(frag & 0x1FFF).append(' ');
        }
        transport(b, at + ihl, len - ihl, proto, (frag & 0x1FFF) != 0, false);
    }

    private void ipv6(final Buf b, final long at, final int len)
    {
        if (len < 40)
        {
            line.append("TRUNCATED");
            return;
        }
        final byte[] address = new byte[16];
        b.getBytes(at + 8, address);
        line.append("SRC=").append(ipv6(address));
        b.getBytes(at + 24, address);
        line.append(" DST=").append(ipv6(address)).append(' ');
        final int word = ((b.getByte(at) & 0xFF) << 24) | ((b.getByte(at + 1) & 0xFF) << 16) | u16(b, at + 2);
        line.append("LEN=").append(u16(b, at + 4) + 40).append(" TC=").append((word & 0x0FF00000) >>> 20)
            .append(" HOPLIMIT=").append(b.getByte(at + 7) & 0xFF).append(" FLOWLBL=").append(word & 0xFFFFF).append(' ');
        transport(b, at + 40, len - 40, b.getByte(at + 6) & 0xFF, false, true);
    }

    private void transport(final Buf b, final long at, final int len, final int proto, final boolean fragment, final boolean v6)
    {
        switch (proto)
        {
            case 6 ->
            {
                line.append("PROTO=TCP ");
                if (fragment)
                {
                    return;
                }
                if (len < 20)
                {
                    line.append("INCOMPLETE [").append(len).append(" bytes] ");
                    return;
                }
                line.append("SPT=").append(u16(b, at)).append(" DPT=").append(u16(b, at + 2)).append(' ');
                line.append("WINDOW=").append(u16(b, at + 14)).append(" RES=0x");
                hex2(line, (b.getByte(at + 12) & 0x0F) << 2, false);
                line.append(' ');
                final int flags = b.getByte(at + 13) & 0xFF;
                final String[] names = {"CWR ", "ECE ", "URG ", "ACK ", "PSH ", "RST ", "SYN ", "FIN "};
                for (int f = 0; f < 8; f++)
                {
                    if ((flags & (0x80 >>> f)) != 0)
                    {
                        line.append(names[f]);
                    }
                }
                line.append("URGP=").append(u16(b, at + 18)).append(' ');
            }
            case 17 ->
            {
                line.append("PROTO=UDP ");
                if (fragment)
                {
                    return;
                }
                if (len < 8)
                {
                    line.append("INCOMPLETE [").append(len).append(" bytes] ");
                    return;
                }
                line.append("SPT=").append(u16(b, at)).append(" DPT=").append(u16(b, at + 2)).append(" LEN=").append(u16(b, at + 4))
                    .append(' ');
            }
            case 1, 58 ->
            {
                line.append(v6 ? "PROTO=ICMPv6 " : "PROTO=ICMP ");
                if (fragment)
                {
                    return;
                }
                if (len < 4)
                {
                    line.append("INCOMPLETE [").append(len).append(" bytes] ");
                    return;
                }
                final int type = b.getByte(at) & 0xFF;
                line.append("TYPE=").append(type).append(" CODE=").append(b.getByte(at + 1) & 0xFF).append(' ');
                final boolean echo = v6 ? type == 128 || type == 129 : type == 0 || type == 8;
                if (echo && len >= 8)
                {
                    line.append("ID=").append(u16(b, at + 4)).append(" SEQ=").append(u16(b, at + 6)).append(' ');
                }
            }
            default -> line.append("PROTO=").append(proto).append(' ');
        }
    }

    /** Reads of the record in native memory, by absolute address. */
    private static final class Buf
    {
        byte getByte(final long at)
        {
            return Memory.getByte(at);
        }

        int getInt(final long at)
        {
            return Memory.getInt(at);
        }

        long getLong(final long at)
        {
            return Memory.getLong(at);
        }

        void getBytes(final long at, final byte[] out)
        {
            for (int i = 0; i < out.length; i++)
            {
                out[i] = Memory.getByte(at + i);
            }
        }
    }

    private static final Buf BUF = new Buf();

    private static int u16(final Buf b, final long at)
    {
        return ((b.getByte(at) & 0xFF) << 8) | (b.getByte(at + 1) & 0xFF);
    }

    private static String ipv4(final Buf b, final long at)
    {
        return (b.getByte(at) & 0xFF) + "." + (b.getByte(at + 1) & 0xFF) + "." + (b.getByte(at + 2) & 0xFF) + "." + (b.getByte(at + 3) & 0xFF);
    }

    private static String ipv6(final byte[] address)
    {
        try
        {
            return Inet6Address.getByAddress(address).getHostAddress().replaceAll("((?::0\\b){2,}):?(?!\\S*\\b\\1:0\\b)(\\S*)", "::$2")
                .replaceFirst("^0::", "::");
        }
        catch (final UnknownHostException e)
        {
            throw new IllegalStateException(e);
        }
    }

    private static StringBuilder hex2(final StringBuilder out, final int value, final boolean upper)
    {
        final String digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
        return out.append(digits.charAt(value >>> 4 & 0xF)).append(digits.charAt(value & 0xF));
    }

    @Override
    public void close()
    {
        final Thread t;
        synchronized (this)
        {
            t = thread;
            running = false;
        }
        if (t != null)
        {
            try
            {
                t.join(2000);
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
