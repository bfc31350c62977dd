package io.flowgate.pipeline.rules.model;

/**
 * One element of a rule, evaluated left to right as nft does: a match ends the rule when it fails; a statement
 * acts; a verdict ends the chain (or jumps). Matches and limits are {@link #isMatch matches}.
 */
public sealed interface Expr
    permits Match, Expr.Limit, Expr.Counter, Expr.Log, Expr.MarkSet, Expr.Notrack, Expr.Nat, Expr.Verdict,
    Expr.Reject, Expr.Queue
{
    Origin origin();

    default boolean isMatch()
    {
        return this instanceof Match || this instanceof Limit;
    }

    /** Whether the expression ends evaluation of the chain (a verdict). */
    default boolean isTerminal()
    {
        return this instanceof Verdict || this instanceof Reject || this instanceof Queue;
    }

    /** nft's time units of a rate. */
    enum Per
    {
        SECOND(1_000_000_000L), MINUTE(60_000_000_000L), HOUR(3_600_000_000_000L), DAY(86_400_000_000_000L),
        WEEK(604_800_000_000_000L);

        public final long ns;

        Per(final long ns)
        {
            this.ns = ns;
        }
    }

    /**
     * {@code limit rate [over] N/unit [burst B packets]} or the byte form {@code limit rate [over] N kbytes/second}
     * ({@code bytes} true: {@code rate} and {@code burst} in bytes). A token bucket as nft_limit: matches while
     * tokens last (with {@code over}: matches when they do not).
     */
    record Limit(long rate, Per per, long burst, boolean bytes, boolean over, Origin origin) implements Expr
    {
    }

    /** {@code counter}, optionally {@code counter packets P bytes B} (the form {@code nft list} prints). */
    record Counter(long packets, long bytes, Origin origin) implements Expr
    {
    }

    /** {@code log [prefix "text"] [level L]}; {@code level} is syslog's 0..7 (warn 4, nft's default). */
    record Log(String prefix, int level, Origin origin) implements Expr
    {
    }

    /** {@code meta mark set V} ({@code field} META_MARK) or {@code ct mark set V} (CT_MARK). */
    record MarkSet(Field field, long value, Origin origin) implements Expr
    {
    }

    /** {@code notrack}: the packet gets no conntrack entry (only meaningful before conntrack, priority < -200). */
    record Notrack(Origin origin) implements Expr
    {
    }

    enum NatKind
    {
        SNAT("snat"), DNAT("dnat"), MASQUERADE("masquerade"), REDIRECT("redirect");

        public final String keyword;

        NatKind(final String keyword)
        {
            this.keyword = keyword;
        }
    }

    /** NAT flags, nft's words for NF_NAT_RANGE_*. */
    int NAT_RANDOM = 1;
    int NAT_FULLY_RANDOM = 2;
    int NAT_PERSISTENT = 4;

    /**
     * {@code snat [ip] to A[-B][:P[-Q]] [flags]}, {@code dnat [ip] to ...}, {@code masquerade [to :P[-Q]] [flags]},
     * {@code redirect [to :P[-Q]] [flags]}. Addresses are IPv4, 0 when absent; ports -1 when absent.
     */
    record Nat(NatKind kind, int addressMin, int addressMax, int portMin, int portMax, int flags, Origin origin)
        implements Expr
    {
    }

    enum VerdictKind
    {
        ACCEPT("accept"), DROP("drop"), RETURN("return"), JUMP("jump"), GOTO("goto");

        public final String keyword;

        VerdictKind(final String keyword)
        {
            this.keyword = keyword;
        }
    }

    /** {@code accept}, {@code drop}, {@code return}, {@code jump CHAIN}, {@code goto CHAIN} ({@code chain} null for the first three). */
    record Verdict(VerdictKind kind, String chain, Origin origin) implements Expr
    {
    }

    enum RejectKind
    {
        /** {@code reject with icmp type CODE} (IPv4 only; plain {@code reject} in an ip table is port-unreachable). */
        ICMP,
        /** {@code reject with icmpv6 type CODE}. */
        ICMPV6,
        /** {@code reject with icmpx type CODE}: the family's own code (plain {@code reject} in inet: port-unreachable). */
        ICMPX,
        /** {@code reject with tcp reset}. */
        TCP_RESET
    }

    /**
     * A reject: the packet is dropped and an error is sent back. {@code code} is the ICMP code (ICMP),
     * ICMPv6 code (ICMPV6) or nft's icmpx code (ICMPX: 0 no-route, 1 port-unreachable, 2 host-unreachable,
     * 3 admin-prohibited); unused for TCP_RESET.
     */
    record Reject(RejectKind kind, int code, Origin origin) implements Expr
    {
    }

    /**
     * {@code queue [num N | num N-M] [bypass] [fanout]}: the packet goes to the Java queue handler of number
     * N (with N-M: spread by flow hash, or with fanout by worker); bypass accepts it when no handler listens.
     */
    record Queue(int from, int to, boolean bypass, boolean fanout, Origin origin) implements Expr
    {
    }
}
