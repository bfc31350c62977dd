package io.flowgate.pipeline.rules;

/**
 * The opcodes of a rule's compiled program: each rule of a chain is a run of {@code int}s in its chain's code
 * array, an opcode followed by its operands, evaluated left to right as nft evaluates a rule's expressions
 * ({@code nft_do_chain}). Matches the classifier decided are not in the program; the rest are.
 * <pre>
 *   TEST expr          undecided Match: ChainClassifier.test(rule, expr); false ends the rule
 *   LIMIT limit        token bucket {@code limit}; no token (or, with over, a token) ends the rule
 *   COUNTER            the rule's counter (packets, bytes = meta length)
 *   LOG log            log record {@code log} (prefix, level) to the worker's log ring
 *   META_MARK value    meta mark set
 *   CT_MARK value      ct mark set
 *   NOTRACK            the packet gets ctinfo UNTRACKED (before conntrack only)
 *   NAT nat            NAT statement {@code nat} (nat chains: binds the connection; ends the chain)
 *   ACCEPT | DROP | RETURN
 *   JUMP chain | GOTO chain
 *   REJECT kind code   DROP with PacketBurst.reject (kind: Expr.RejectKind ordinal)
 *   QUEUE from to flags  Verdict.queue (flags: 1 bypass, 2 fanout)
 * </pre>
 */
final class Program
{
    static final int TEST = 1;
    static final int LIMIT = 2;
    static final int COUNTER = 3;
    static final int LOG = 4;
    static final int META_MARK = 5;
    static final int CT_MARK = 6;
    static final int NOTRACK = 7;
    static final int NAT = 8;
    static final int ACCEPT = 9;
    static final int DROP = 10;
    static final int RETURN = 11;
    static final int JUMP = 12;
    static final int GOTO = 13;
    static final int REJECT = 14;
    static final int QUEUE = 15;

    static final int QUEUE_BYPASS = 1;
    static final int QUEUE_FANOUT = 2;

    private Program()
    {
    }
}
