package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.rules.model.BaseChain;
import io.flowgate.pipeline.rules.model.Chain;
import io.flowgate.pipeline.rules.model.ChainType;
import io.flowgate.pipeline.rules.model.Expr;
import io.flowgate.pipeline.rules.model.Family;
import io.flowgate.pipeline.rules.model.Field;
import io.flowgate.pipeline.rules.model.Interval;
import io.flowgate.pipeline.rules.model.Match;
import io.flowgate.pipeline.rules.model.NamedSet;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Rule;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.model.Table;
import io.flowgate.pipeline.rules.nft.NftLexer.Kind;
import io.flowgate.pipeline.rules.nft.NftLexer.Token;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads a ruleset in the supported subset of the nft language ({@code nft -f} files, docs/rules.md "The supported
 * subset") into the model: a hand-written lexer ({@link NftLexer}), recursive descent, then the semantic checks nft
 * and the kernel make ({@link NftChecker}). Anything outside the subset, and every error, is a
 * {@link RulesetException} at FILE:LINE:COLUMN saying what is wrong or not supported; nothing is silently ignored.
 * <p>
 * Usage: {@code NftParser.parse("fw.nft", Files.readString(path))}. Thread-safety: stateless, any thread.
 * Control path only.
 */
public final class NftParser
{
    private final List<Token> tokens;
    private final String file;
    private int pos;

    private NftParser(final String file, final List<Token> tokens)
    {
        this.file = file;
        this.tokens = tokens;
    }

    /** Parses {@code text}, named {@code file} in messages. */
    public static Ruleset parse(final String file, final String text) throws RulesetException
    {
        final NftParser parser = new NftParser(file, NftLexer.lex(file, text));
        final Ruleset ruleset = parser.ruleset();
        NftChecker.check(ruleset);
        return ruleset;
    }

    // ---------------------------------------------------------------- structure

    private Ruleset ruleset() throws RulesetException
    {
        final List<Table> tables = new ArrayList<>();
        while (true)
        {
            skipSeparators();
            final Token t = peek();
            if (t.kind() == Kind.EOF)
            {
                break;
            }
            if (t.is("table"))
            {
                next();
                tables.add(table(t.origin()));
            }
            else if (t.is("flush"))
            {
                next();
                final Token what = next();
                if (!what.is("ruleset"))
                {
                    throw unsupported(what, "flush " + what.text());
                }
                // A load always replaces the whole ruleset: "flush ruleset" is what it does anyway.
                endOfStatement();
            }
            else
            {
                throw unsupported(t, t.kind() == Kind.WORD ? t.text() : "'" + t.text() + "'");
            }
        }
        return new Ruleset(file, tables);
    }

    private Table table(final Origin origin) throws RulesetException
    {
        final Token familyToken = word("a table family (ip, ip6, inet)");
        Family family = null;
        for (final Family f : Family.values())
        {
            if (f.keyword.equals(familyToken.text()))
            {
                family = f;
            }
        }
        if (family == null)
        {
            throw new RulesetException(familyToken.origin(), "table family " + familyToken.text() + " is not supported (ip, ip6, inet)");
        }
        final String name = name("a table name");
        expect(Kind.LBRACE);
        final List<NamedSet> sets = new ArrayList<>();
        final List<Chain> chains = new ArrayList<>();
        while (true)
        {
            skipSeparators();
            final Token t = next();
            if (t.kind() == Kind.RBRACE)
            {
                break;
            }
            if (t.is("chain"))
            {
                chains.add(chain(family, t.origin()));
            }
            else if (t.is("set"))
            {
                sets.add(set(t.origin()));
            }
            else if (t.kind() == Kind.EOF)
            {
                throw new RulesetException(t.origin(), "table " + name + " is not closed ('}' missing)");
            }
            else
            {
                throw unsupported(t, t.kind() == Kind.WORD ? t.text() + " in a table" : "'" + t.text() + "'");
            }
        }
        return NftChecker.resolveSets(new Table(family, name, sets, chains, origin));
    }

    private NamedSet set(final Origin origin) throws RulesetException
    {
        final String name = name("a set name");
        expect(Kind.LBRACE);
        Field type = null;
        boolean interval = false;
        List<Token> elementTokens = null;
        final List<Interval> elements = new ArrayList<>();
        while (true)
        {
            skipSeparators();
            final Token t = next();
            if (t.kind() == Kind.RBRACE)
            {
                break;
            }
            if (t.is("type"))
            {
                final Token tt = word("a set type");
                type = switch (tt.text())
                {
                    case "ipv4_addr" -> Field.IP_SADDR;
                    case "ipv6_addr" -> Field.IP6_SADDR;
                    case "inet_service" -> Field.TCP_DPORT;
                    case "inet_proto" -> Field.META_L4PROTO;
                    case "mark" -> Field.META_MARK;
                    default -> throw unsupported(tt, "set type " + tt.text());
                };
                if (peek().is("."))
                {
                    throw unsupported(peek(), "concatenation");
                }
            }
            else if (t.is("flags"))
            {
                while (true)
                {
                    final Token f = word("a set flag");
                    if (!f.is("interval"))
                    {
                        throw unsupported(f, "set flag " + f.text());
                    }
                    interval = true;
                    if (peek().kind() != Kind.COMMA)
                    {
                        break;
                    }
                    next();
                }
            }
            else if (t.is("elements"))
            {
                if (type == null)
                {
                    throw new RulesetException(t.origin(), "set " + name + ": elements before its type");
                }
                expect(Kind.ASSIGN);
                final Token open = expect(Kind.LBRACE);
                elementTokens = List.of(open);
                elements.addAll(setElements(type, open, true));
            }
            else if (t.kind() == Kind.EOF)
            {
                throw new RulesetException(t.origin(), "set " + name + " is not closed ('}' missing)");
            }
            else
            {
                throw unsupported(t, t.kind() == Kind.WORD ? "set option " + t.text() : "'" + t.text() + "'");
            }
            endOfStatement();
        }
        if (type == null)
        {
            throw new RulesetException(origin, "set " + name + " has no type");
        }
        if (elementTokens != null)
        {
            NftChecker.checkSetElements(name, interval, elements, elementTokens.get(0).origin());
        }
        final List<Interval> sorted = new ArrayList<>(elements);
        sorted.sort((a, b) -> a.lo().compareTo(b.lo()));
        return new NamedSet(name, type, interval, sorted, origin);
    }

    private Chain chain(final Family family, final Origin origin) throws RulesetException
    {
        final String name = name("a chain name");
        expect(Kind.LBRACE);
        BaseChain base = null;
        final List<Rule> rules = new ArrayList<>();
        ChainType type = null;
        Hook hook = null;
        int priority = 0;
        boolean policyDrop = false;
        Token policyToken = null;
        while (true)
        {
            skipSeparators();
            final Token t = peek();
            if (t.kind() == Kind.RBRACE)
            {
                next();
                break;
            }
            if (t.kind() == Kind.EOF)
            {
                throw new RulesetException(t.origin(), "chain " + name + " is not closed ('}' missing)");
            }
            if (t.is("type"))
            {
                next();
                final Token tt = word("a chain type");
                type = switch (tt.text())
                {
                    case "filter" -> ChainType.FILTER;
                    case "nat" -> ChainType.NAT;
                    case "route" -> ChainType.ROUTE;
                    default -> throw unsupported(tt, "chain type " + tt.text());
                };
                keyword("hook");
                final Token h = word("a hook");
                hook = switch (h.text())
                {
                    case "prerouting" -> Hook.PREROUTING;
                    case "input" -> Hook.INPUT;
                    case "forward" -> Hook.FORWARD;
                    case "output" -> Hook.OUTPUT;
                    case "postrouting" -> Hook.POSTROUTING;
                    default -> throw unsupported(h, "hook " + h.text());
                };
                if (peek().is("device"))
                {
                    throw unsupported(peek(), "device");
                }
                keyword("priority");
                priority = priority(hook);
                NftChecker.checkHook(family, type, hook, tt.origin());
                endOfStatement();
            }
            else if (t.is("policy"))
            {
                next();
                policyToken = t;
                final Token p = word("accept or drop");
                if (p.is("drop"))
                {
                    policyDrop = true;
                }
                else if (!p.is("accept"))
                {
                    throw new RulesetException(p.origin(), "policy " + p.text() + " is not supported (accept, drop)");
                }
                endOfStatement();
            }
            else
            {
                rules.add(rule(family));
            }
        }
        if (type != null)
        {
            base = new BaseChain(type, hook, priority, policyDrop);
        }
        else if (policyToken != null)
        {
            throw new RulesetException(policyToken.origin(), "policy in chain " + name + ", which is not a base chain");
        }
        return new Chain(name, base, rules, origin);
    }

    /** {@code priority N}, {@code priority NAME}, {@code priority NAME + N}, {@code priority NAME - N}. */
    private int priority(final Hook hook) throws RulesetException
    {
        final Token t = next();
        if (t.kind() != Kind.WORD)
        {
            throw new RulesetException(t.origin(), "expected a priority, found '" + t.text() + "'");
        }
        final Integer named = NftNames.PRIORITIES.get(t.text());
        if (named == null)
        {
            return (int)number(t, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        if ((t.is("dstnat") && hook != Hook.PREROUTING) || (t.is("srcnat") && hook != Hook.POSTROUTING))
        {
            throw new RulesetException(t.origin(), "'" + t.text() + "' is an invalid priority at hook " + hook.name().toLowerCase());
        }
        int value = named;
        if (peek().kind() == Kind.PLUS || peek().kind() == Kind.MINUS)
        {
            final boolean minus = next().kind() == Kind.MINUS;
            final int offset = (int)number(next(), 0, Integer.MAX_VALUE);
            value += minus ? -offset : offset;
        }
        else if (peek().kind() == Kind.WORD && peek().text().startsWith("-"))
        {
            value += (int)number(next(), Integer.MIN_VALUE, 0); // "filter -5"
        }
        return value;
    }

    // ---------------------------------------------------------------- rules

    private Rule rule(final Family family) throws RulesetException
    {
        final Origin origin = peek().origin();
        final List<Expr> exprs = new ArrayList<>();
        String comment = null;
        while (true)
        {
            final Token t = peek();
            if (t.kind() == Kind.NL || t.kind() == Kind.SEMI || t.kind() == Kind.RBRACE || t.kind() == Kind.EOF)
            {
                break;
            }
            if (comment != null)
            {
                throw new RulesetException(t.origin(), "nothing may follow a rule's comment");
            }
            if (t.is("comment"))
            {
                next();
                comment = expect(Kind.STRING).text();
                continue;
            }
            if (!exprs.isEmpty() && exprs.get(exprs.size() - 1).isTerminal())
            {
                throw new RulesetException(t.origin(), "statement after a verdict ('" + t.text() + "')");
            }
            exprs.add(expr(family));
        }
        if (exprs.isEmpty())
        {
            throw new RulesetException(origin, "empty rule");
        }
        dropImpliedDependencies(family, exprs);
        if (exprs.get(exprs.size() - 1) instanceof Expr.Reject r && r.kind() == Expr.RejectKind.TCP_RESET && !protocolMatched(exprs))
        {
            // nft adds the dependency itself: "reject with tcp reset" alone is "meta l4proto tcp reject with tcp reset"
            exprs.add(exprs.size() - 1, Match.of(Field.META_L4PROTO, Match.Op.EQ, -1L, List.of(Interval.of(6)), r.origin()));
        }
        return new Rule(exprs, origin, comment);
    }

    /**
     * nft keeps one check where the user wrote a protocol or family match that a later match implies
     * ({@code meta l4proto udp udp dport 53}, {@code meta nfproto ipv4 ip saddr X}) and lists the rule without it;
     * the model follows, so that it and the listing are what nft has. Only across matches: a statement in between
     * ({@code counter}) keeps it, as in nft.
     */
    private static void dropImpliedDependencies(final Family family, final List<Expr> exprs)
    {
        for (int i = 0; i < exprs.size(); i++)
        {
            if (!(exprs.get(i) instanceof Match m) || m.op() != Match.Op.EQ || m.mask() != -1L || m.setName() != null
                || m.intervals().size() != 1 || !m.intervals().get(0).isSingle())
            {
                continue;
            }
            final int value = m.intervals().get(0).lo().intValue();
            final boolean protocol = m.field() == Field.META_L4PROTO || m.field() == Field.IP_PROTOCOL;
            final Family implied = m.field() == Field.META_NFPROTO && family == Family.INET
                ? (value == 2 ? Family.IP : value == 10 ? Family.IP6 : null) : null;
            if (!protocol && implied == null)
            {
                continue;
            }
            for (int j = i + 1; j < exprs.size() && exprs.get(j) instanceof Match later; j++)
            {
                if ((protocol && later.field().dependencyProtocol == value) || (implied != null && later.field().dependencyFamily == implied))
                {
                    exprs.remove(i);
                    i--;
                    break;
                }
            }
        }
    }

    /** Whether a match before the verdict already names an L4 protocol (then nft adds no dependency of its own). */
    private static boolean protocolMatched(final List<Expr> exprs)
    {
        for (final Expr e : exprs)
        {
            if (e instanceof Match m && (m.field().dependencyProtocol >= 0 || m.field() == Field.META_L4PROTO
                || m.field() == Field.IP_PROTOCOL))
            {
                return true;
            }
        }
        return false;
    }

    private Expr expr(final Family family) throws RulesetException
    {
        final Token t = next();
        if (t.kind() != Kind.WORD)
        {
            throw new RulesetException(t.origin(), "expected a match or statement, found '" + t.text() + "'");
        }
        final Origin o = t.origin();
        switch (t.text())
        {
            case "iif", "oif", "iifname", "oifname":
                return interfaceMatch(Field.valueOf(t.text().toUpperCase()), o);
            case "ip":
            {
                final Token k = word("saddr, daddr or protocol");
                return match(switch (k.text())
                {
                    case "saddr" -> Field.IP_SADDR;
                    case "daddr" -> Field.IP_DADDR;
                    case "protocol" -> Field.IP_PROTOCOL;
                    default -> throw unsupported(k, "ip " + k.text());
                }, o);
            }
            case "ip6":
            {
                final Token k = word("saddr or daddr");
                return match(switch (k.text())
                {
                    case "saddr" -> Field.IP6_SADDR;
                    case "daddr" -> Field.IP6_DADDR;
                    default -> throw unsupported(k, "ip6 " + k.text());
                }, o);
            }
            case "tcp", "udp":
            {
                final boolean tcp = t.is("tcp");
                final Token k = word("sport or dport");
                return match(switch (k.text())
                {
                    case "sport" -> tcp ? Field.TCP_SPORT : Field.UDP_SPORT;
                    case "dport" -> tcp ? Field.TCP_DPORT : Field.UDP_DPORT;
                    case "flags" ->
                    {
                        if (!tcp)
                        {
                            throw unsupported(k, "udp flags");
                        }
                        yield Field.TCP_FLAGS;
                    }
                    default -> throw unsupported(k, t.text() + " " + k.text());
                }, o);
            }
            case "icmp", "icmpv6":
            {
                final Token k = word("type");
                if (!k.is("type"))
                {
                    throw unsupported(k, t.text() + " " + k.text());
                }
                return match(t.is("icmp") ? Field.ICMP_TYPE : Field.ICMPV6_TYPE, o);
            }
            case "ct":
            {
                final Token k = word("state, status or mark");
                switch (k.text())
                {
                    case "state":
                        return match(Field.CT_STATE, o);
                    case "status":
                        return match(Field.CT_STATUS, o);
                    case "mark":
                        return peek().is("set") ? markSet(Field.CT_MARK, o) : match(Field.CT_MARK, o);
                    default:
                        throw unsupported(k, "ct " + k.text());
                }
            }
            case "meta":
            {
                final Token k = word("a meta key");
                switch (k.text())
                {
                    case "nfproto":
                        return match(Field.META_NFPROTO, o);
                    case "l4proto":
                        return match(Field.META_L4PROTO, o);
                    case "length":
                        return match(Field.META_LENGTH, o);
                    case "mark":
                        return peek().is("set") ? markSet(Field.META_MARK, o) : match(Field.META_MARK, o);
                    case "iif", "oif", "iifname", "oifname":
                        return interfaceMatch(Field.valueOf(k.text().toUpperCase()), o);
                    default:
                        throw unsupported(k, "meta " + k.text());
                }
            }
            case "mark":
                return peek().is("set") ? markSet(Field.META_MARK, o) : match(Field.META_MARK, o);
            case "limit":
                return limit(o);
            case "counter":
                return counter(o);
            case "log":
                return log(o);
            case "notrack":
                return new Expr.Notrack(o);
            case "snat", "dnat", "masquerade", "redirect":
                return nat(Expr.NatKind.valueOf(t.text().toUpperCase()), family, o);
            case "accept":
                return new Expr.Verdict(Expr.VerdictKind.ACCEPT, null, o);
            case "drop":
                return new Expr.Verdict(Expr.VerdictKind.DROP, null, o);
            case "return":
                return new Expr.Verdict(Expr.VerdictKind.RETURN, null, o);
            case "jump", "goto":
                return new Expr.Verdict(t.is("jump") ? Expr.VerdictKind.JUMP : Expr.VerdictKind.GOTO, name("a chain name"), o);
            case "reject":
                return reject(family, o);
            case "queue":
                return queue(o);
            default:
                throw unsupported(t, t.text());
        }
    }

    // ---------------------------------------------------------------- matches

    private Expr interfaceMatch(final Field field, final Origin o) throws RulesetException
    {
        Match.Op op = Match.Op.EQ;
        if (peek().kind() == Kind.EQEQ || peek().is("eq"))
        {
            next();
        }
        else if (peek().kind() == Kind.NEQ || peek().is("ne"))
        {
            next();
            op = Match.Op.NEQ;
        }
        final List<String> names = new ArrayList<>();
        if (peek().kind() == Kind.LBRACE)
        {
            next();
            while (true)
            {
                skipNewlines();
                names.add(interfaceName(field));
                skipNewlines();
                if (peek().kind() == Kind.RBRACE)
                {
                    next();
                    break;
                }
                expect(Kind.COMMA);
                skipNewlines();
                if (peek().kind() == Kind.RBRACE)
                {
                    next();
                    break;
                }
            }
            NftValues.sortInterfaceNames(names);
        }
        else if (peek().kind() == Kind.AT)
        {
            throw unsupported(peek(), "a named set of interfaces");
        }
        else
        {
            names.add(interfaceName(field));
        }
        return new Match(field, op, -1L, List.of(), names, null, o);
    }

    private String interfaceName(final Field field) throws RulesetException
    {
        final Token t = next();
        if (t.kind() != Kind.STRING && t.kind() != Kind.WORD)
        {
            throw new RulesetException(t.origin(), "expected an interface name, found '" + t.text() + "'");
        }
        if (t.text().isEmpty() || t.text().length() > 15)
        {
            throw new RulesetException(t.origin(), "interface name \"" + t.text() + "\" must be 1 to 15 characters");
        }
        if ((field == Field.IIF || field == Field.OIF) && t.text().indexOf('*') >= 0)
        {
            throw new RulesetException(t.origin(), "a wildcard needs iifname/oifname, not " + field.keyword);
        }
        return t.text();
    }

    private Match match(final Field field, final Origin o) throws RulesetException
    {
        long mask = -1L;
        final Token ampToken = peek();
        if (ampToken.kind() == Kind.AMP)
        {
            next();
            mask = maskValue(field);
            if (peek().kind() != Kind.EQEQ && peek().kind() != Kind.NEQ && !peek().is("eq") && !peek().is("ne"))
            {
                throw new RulesetException(peek().origin(), "a mask needs == or != after it");
            }
        }
        if (field.isBitmask() && mask == -1L && peek().kind() == Kind.BANG)
        {
            // nft's listing of "& BITS == 0": "tcp flags ! syn,ack"
            next();
            return Match.of(field, Match.Op.EQ, bitList(field), List.of(Interval.of(0)), o);
        }
        final Token opToken = peek();
        String op = "";
        switch (opToken.kind())
        {
            case EQEQ, NEQ, LT, GT, LE, GE -> op = next().text();
            case WORD ->
            {
                if (opToken.is("eq") || opToken.is("ne") || opToken.is("lt") || opToken.is("gt") || opToken.is("le") || opToken.is("ge"))
                {
                    next();
                    op = switch (opToken.text())
                    {
                        case "eq" -> "==";
                        case "ne" -> "!=";
                        case "lt" -> "<";
                        case "gt" -> ">";
                        case "le" -> "<=";
                        default -> ">=";
                    };
                }
            }
            default ->
            {
            }
        }
        final Match.Op eqOp = op.equals("!=") ? Match.Op.NEQ : Match.Op.EQ;
        final Token v = peek();
        if (v.is("vmap") || v.is("map") || v.is("."))
        {
            throw unsupported(v, v.is(".") ? "concatenation" : v.text());
        }
        if (v.kind() == Kind.AT)
        {
            next();
            requireEqOrNeq(op, v);
            if (mask != -1L)
            {
                throw unsupported(ampToken, "a mask with a set");
            }
            return new Match(field, eqOp, -1L, List.of(), List.of(), name("a set name"), o);
        }
        if (v.kind() == Kind.LBRACE)
        {
            next();
            requireEqOrNeq(op, v);
            final List<Interval> elements = NftValues.normalizeAnonymous(setElements(field, v, false));
            return new Match(field, eqOp, mask, elements, List.of(), null, o);
        }
        if (field.isBitmask() && mask == -1L && op.isEmpty())
        {
            // nft's implicit operator on a bitmask: any of the named bits ("ct state established,related"),
            // or the listing's "VALUE / MASK" form ("tcp flags syn / syn,ack")
            final long bits = bitList(field);
            if (peek().kind() == Kind.SLASH)
            {
                next();
                return Match.of(field, Match.Op.EQ, bitList(field), List.of(Interval.of(bits)), o);
            }
            return Match.of(field, Match.Op.ANY_BIT, bits, List.of(), o);
        }
        if (field.isBitmask())
        {
            final long value = bitList(field);
            if (!op.equals("==") && !op.equals("!="))
            {
                throw unsupported(opToken, "'" + op + "' on " + field.keyword);
            }
            if (mask == -1L && peek().kind() == Kind.SLASH)
            {
                next();
                mask = bitList(field);
            }
            if (mask != -1L && value == 0 && eqOp == Match.Op.NEQ)
            {
                return Match.of(field, Match.Op.ANY_BIT, mask, List.of(), o); // "& BITS != 0" is the implicit form
            }
            return Match.of(field, eqOp, mask, List.of(Interval.of(value)), o);
        }
        final Interval value = element(field, next());
        if (op.isEmpty() || op.equals("==") || op.equals("!="))
        {
            return Match.of(field, eqOp, mask, List.of(value), o);
        }
        if (!value.isSingle())
        {
            throw new RulesetException(v.origin(), "'" + op + "' needs a single value");
        }
        final BigInteger x = value.lo();
        final BigInteger max = BigInteger.ONE.shiftLeft(field.bits).subtract(BigInteger.ONE);
        final Interval range = switch (op)
        {
            case "<" -> x.signum() == 0 ? null : new Interval(BigInteger.ZERO, x.subtract(BigInteger.ONE));
            case "<=" -> new Interval(BigInteger.ZERO, x);
            case ">" -> x.equals(max) ? null : new Interval(x.add(BigInteger.ONE), max);
            default -> new Interval(x, max);
        };
        if (range == null)
        {
            throw new RulesetException(v.origin(), field.keyword + " " + op + " " + v.text() + " never matches");
        }
        return Match.of(field, Match.Op.EQ, mask, List.of(range), o);
    }

    private static void requireEqOrNeq(final String op, final Token at) throws RulesetException
    {
        if (!op.isEmpty() && !op.equals("==") && !op.equals("!="))
        {
            throw new RulesetException(at.origin(), "'" + op + "' cannot compare with a set");
        }
    }

    /** {@code & 0xff}, {@code & (syn|ack)}, {@code & syn|ack}. */
    private long maskValue(final Field field) throws RulesetException
    {
        final boolean paren = peek().kind() == Kind.LPAREN;
        if (paren)
        {
            next();
        }
        long mask = 0;
        while (true)
        {
            final Token t = next();
            mask |= field.isBitmask() ? bit(field, t) : NftValues.number(t, field.maxValue());
            if (peek().kind() != Kind.PIPE)
            {
                break;
            }
            next();
        }
        if (paren)
        {
            expect(Kind.RPAREN);
        }
        return mask;
    }

    /** Names or numbers of bits separated by ',' or '|', OR'ed. */
    private long bitList(final Field field) throws RulesetException
    {
        final boolean paren = peek().kind() == Kind.LPAREN;
        if (paren)
        {
            next();
        }
        long bits = 0;
        while (true)
        {
            bits |= bit(field, next());
            if (peek().kind() != Kind.COMMA && peek().kind() != Kind.PIPE)
            {
                break;
            }
            next();
        }
        if (paren)
        {
            expect(Kind.RPAREN);
        }
        return bits;
    }

    private static long bit(final Field field, final Token t) throws RulesetException
    {
        final Map<String, Integer> names = NftNames.bits(field);
        final Integer named = t.kind() == Kind.WORD ? names.get(t.text()) : null;
        if (named != null)
        {
            return named;
        }
        if (t.kind() == Kind.WORD && !t.text().isEmpty() && Character.isDigit(t.text().charAt(0)))
        {
            return NftValues.number(t, field.maxValue());
        }
        throw new RulesetException(t.origin(), "unknown " + field.keyword + " value '" + t.text() + "' (" + String.join(", ", names.keySet()) + ")");
    }

    /** The elements of {@code { a, b-c, d/n }} after its opening brace, up to and including the closing one. */
    private List<Interval> setElements(final Field field, final Token open, final boolean named) throws RulesetException
    {
        final List<Interval> out = new ArrayList<>();
        while (true)
        {
            skipNewlines();
            final Token t = next();
            if (t.kind() == Kind.RBRACE)
            {
                break;
            }
            if (t.kind() == Kind.LBRACE || t.kind() == Kind.AT || t.kind() == Kind.EOF)
            {
                throw new RulesetException(t.origin(), t.kind() == Kind.EOF ? "set not closed ('}' missing)" : "nested sets are not supported");
            }
            if (field.isBitmask())
            {
                out.add(Interval.of(bit(field, t)));
            }
            else
            {
                out.add(element(field, t));
            }
            skipNewlines();
            if (peek().is(":") || (peek().kind() == Kind.WORD && peek().text().startsWith(":")))
            {
                throw unsupported(peek(), "a map");
            }
            if (peek().kind() == Kind.RBRACE)
            {
                next();
                break;
            }
            final Token sep = next();
            if (sep.kind() != Kind.COMMA)
            {
                throw new RulesetException(sep.origin(), "expected ',' or '}' in the set, found '" + sep.text() + "'");
            }
        }
        if (out.isEmpty() && !named)
        {
            throw new RulesetException(open.origin(), "empty set");
        }
        return out;
    }

    /** One value of {@code field}: single, prefix ({@code /n}) or range ({@code a-b}, also {@code a - b}). */
    private Interval element(final Field field, final Token t) throws RulesetException
    {
        if (t.kind() != Kind.WORD)
        {
            throw new RulesetException(t.origin(), "expected a value of " + field.keyword + ", found '" + t.text() + "'");
        }
        if (peek().kind() == Kind.MINUS)
        {
            next();
            final Token hi = next();
            return NftValues.range(field, t, NftValues.single(field, t), NftValues.single(field, hi));
        }
        return NftValues.parse(field, t);
    }

    // ---------------------------------------------------------------- statements

    private Expr markSet(final Field field, final Origin o) throws RulesetException
    {
        keyword("set");
        final Token v = next();
        if (v.kind() == Kind.WORD && !v.text().isEmpty() && !Character.isDigit(v.text().charAt(0)))
        {
            throw unsupported(v, field.keyword + " set " + v.text());
        }
        return new Expr.MarkSet(field, NftValues.number(v, 0xFFFF_FFFFL), o);
    }

    private Expr limit(final Origin o) throws RulesetException
    {
        keyword("rate");
        boolean over = false;
        if (peek().is("over"))
        {
            next();
            over = true;
        }
        else if (peek().is("until"))
        {
            next();
        }
        final Token rateToken = word("a rate");
        final String text = rateToken.text();
        final long rate;
        boolean bytes = false;
        Expr.Per per;
        long multiplier = 1;
        if (text.contains("/"))
        {
            // "10/minute"
            final int slash = text.indexOf('/');
            rate = NftValues.number(new Token(Kind.WORD, text.substring(0, slash), rateToken.origin()), Long.MAX_VALUE);
            per = per(text.substring(slash + 1), rateToken);
        }
        else
        {
            rate = NftValues.number(rateToken, Long.MAX_VALUE);
            if (peek().kind() == Kind.SLASH)
            {
                next();
                per = per(word("a time unit").text(), rateToken);
            }
            else
            {
                final Token unitToken = word("a unit (/second or bytes/second)");
                final String unit = unitToken.text();
                final int slash = unit.indexOf('/');
                final String dataUnit = slash < 0 ? unit : unit.substring(0, slash);
                multiplier = dataMultiplier(dataUnit, unitToken);
                bytes = true;
                if (slash < 0)
                {
                    expect(Kind.SLASH);
                    per = per(word("a time unit").text(), unitToken);
                }
                else
                {
                    per = per(unit.substring(slash + 1), unitToken);
                }
            }
        }
        if (rate == 0)
        {
            throw new RulesetException(rateToken.origin(), "a rate of 0 is not allowed");
        }
        long burst = bytes ? 0 : 5;
        if (peek().is("burst"))
        {
            next();
            final Token b = word("a burst");
            final long n = NftValues.number(b, Long.MAX_VALUE);
            final Token unitToken = word(bytes ? "bytes, kbytes or mbytes" : "packets");
            if (bytes)
            {
                burst = n * dataMultiplier(unitToken.text(), unitToken);
            }
            else
            {
                if (!unitToken.is("packets"))
                {
                    throw new RulesetException(unitToken.origin(), "a packet rate's burst is in packets");
                }
                burst = n;
            }
        }
        return new Expr.Limit(rate * multiplier, per, burst, bytes, over, o);
    }

    private static long dataMultiplier(final String unit, final Token at) throws RulesetException
    {
        return switch (unit)
        {
            case "bytes" -> 1L;
            case "kbytes" -> 1024L;
            case "mbytes" -> 1024L * 1024;
            default -> throw new RulesetException(at.origin(), "unknown unit " + unit + " (bytes, kbytes, mbytes)");
        };
    }

    private static Expr.Per per(final String unit, final Token at) throws RulesetException
    {
        return switch (unit)
        {
            case "second" -> Expr.Per.SECOND;
            case "minute" -> Expr.Per.MINUTE;
            case "hour" -> Expr.Per.HOUR;
            case "day" -> Expr.Per.DAY;
            case "week" -> Expr.Per.WEEK;
            default -> throw new RulesetException(at.origin(), "unknown time unit " + unit + " (second, minute, hour, day, week)");
        };
    }

    private Expr counter(final Origin o) throws RulesetException
    {
        long packets = 0;
        long bytes = 0;
        if (peek().is("packets"))
        {
            next();
            packets = NftValues.number(next(), Long.MAX_VALUE);
            keyword("bytes");
            bytes = NftValues.number(next(), Long.MAX_VALUE);
        }
        else if (peek().is("name"))
        {
            throw unsupported(peek(), "named counters");
        }
        return new Expr.Counter(packets, bytes, o);
    }

    private Expr log(final Origin o) throws RulesetException
    {
        String prefix = null;
        int level = 4;
        while (peek().kind() == Kind.WORD)
        {
            final Token t = peek();
            if (t.is("prefix"))
            {
                next();
                prefix = expect(Kind.STRING).text();
                if (prefix.length() > 127)
                {
                    throw new RulesetException(t.origin(), "log prefix longer than 127 characters");
                }
            }
            else if (t.is("level"))
            {
                next();
                final Token l = word("a log level");
                final Integer n = NftNames.LOG_LEVELS.get(l.text());
                if (n == null)
                {
                    throw new RulesetException(l.origin(), "log level " + l.text() + " is not supported (emerg, alert, crit, err, warn, notice, info, debug)");
                }
                level = n;
            }
            else if (t.is("group") || t.is("snaplen") || t.is("queue-threshold") || t.is("flags"))
            {
                throw unsupported(t, "log " + t.text());
            }
            else
            {
                break;
            }
        }
        return new Expr.Log(prefix, level, o);
    }

    private Expr nat(final Expr.NatKind kind, final Family family, final Origin o) throws RulesetException
    {
        int addressMin = 0;
        int addressMax = 0;
        int portMin = -1;
        int portMax = -1;
        final boolean addressed = kind == Expr.NatKind.SNAT || kind == Expr.NatKind.DNAT;
        if (addressed)
        {
            if (peek().is("ip"))
            {
                next();
            }
            else if (peek().is("ip6"))
            {
                throw unsupported(peek(), "IPv6 NAT (" + kind.keyword + " ip6)");
            }
            else if (family == Family.INET)
            {
                throw new RulesetException(peek().origin(), kind.keyword + " in an inet table needs its family: " + kind.keyword + " ip to ...");
            }
            if (family == Family.IP6)
            {
                throw unsupported(o, "IPv6 NAT (" + kind.keyword + " in an ip6 table)");
            }
            keyword("to");
        }
        else if (peek().is("to"))
        {
            next();
        }
        else
        {
            return new Expr.Nat(kind, 0, 0, -1, -1, natFlags(), o);
        }
        final Token spec = next();
        if (spec.kind() != Kind.WORD)
        {
            throw new RulesetException(spec.origin(), "expected an address or :port, found '" + spec.text() + "'");
        }
        String text = spec.text();
        final int colon = text.indexOf(':');
        final String addressPart = colon < 0 ? text : text.substring(0, colon);
        String portPart = colon < 0 ? null : text.substring(colon + 1);
        if (!addressed && colon < 0)
        {
            portPart = text; // "redirect to 8080"
        }
        if (addressed)
        {
            if (addressPart.isEmpty())
            {
                throw new RulesetException(spec.origin(), kind.keyword + " needs an address");
            }
            final Interval a = NftValues.parse(Field.IP_SADDR, new Token(Kind.WORD, addressPart, spec.origin()));
            addressMin = a.lo().intValue();
            addressMax = a.hi().intValue();
            if (addressPart.contains("/"))
            {
                throw unsupported(spec, "a prefix as NAT address (write a range a-b)");
            }
        }
        else if (!addressPart.isEmpty() && colon >= 0)
        {
            throw new RulesetException(spec.origin(), kind.keyword + " takes only a port (" + kind.keyword + " to :PORT)");
        }
        if (portPart != null)
        {
            final Interval p = NftValues.parse(Field.TCP_DPORT, new Token(Kind.WORD, portPart, spec.origin()));
            portMin = p.lo().intValue();
            portMax = p.hi().intValue();
        }
        return new Expr.Nat(kind, addressMin, addressMax, portMin, portMax, natFlags(), o);
    }

    private int natFlags() throws RulesetException
    {
        int flags = 0;
        while (peek().is("random") || peek().is("fully-random") || peek().is("persistent"))
        {
            final Token f = next();
            flags |= f.is("random") ? Expr.NAT_RANDOM : f.is("fully-random") ? Expr.NAT_FULLY_RANDOM : Expr.NAT_PERSISTENT;
            if (peek().kind() != Kind.COMMA)
            {
                break;
            }
            next();
        }
        return flags;
    }

    private Expr reject(final Family family, final Origin o) throws RulesetException
    {
        if (!peek().is("with"))
        {
            return switch (family)
            {
                case IP -> new Expr.Reject(Expr.RejectKind.ICMP, 3, o);
                case IP6 -> new Expr.Reject(Expr.RejectKind.ICMPV6, 4, o);
                case INET -> new Expr.Reject(Expr.RejectKind.ICMPX, 1, o);
            };
        }
        next();
        final Token k = word("icmp, icmpv6, icmpx or tcp");
        if (k.is("tcp"))
        {
            keyword("reset");
            return new Expr.Reject(Expr.RejectKind.TCP_RESET, 0, o);
        }
        final Expr.RejectKind kind;
        final Map<String, Integer> codes;
        switch (k.text())
        {
            case "icmp" ->
            {
                kind = Expr.RejectKind.ICMP;
                codes = NftNames.ICMP_CODES;
            }
            case "icmpv6" ->
            {
                kind = Expr.RejectKind.ICMPV6;
                codes = NftNames.ICMPV6_CODES;
            }
            case "icmpx" ->
            {
                kind = Expr.RejectKind.ICMPX;
                codes = NftNames.ICMPX_CODES;
            }
            default -> throw unsupported(k, "reject with " + k.text());
        }
        if (peek().is("type"))
        {
            next();
        }
        final Token c = word("a code name");
        final Integer code = codes.get(c.text());
        if (code == null)
        {
            throw new RulesetException(c.origin(), "unknown " + k.text() + " reject code " + c.text() + " (" + String.join(", ", codes.keySet()) + ")");
        }
        return new Expr.Reject(kind, code, o);
    }

    /** {@code queue [num N[-M]] [bypass] [fanout]} and nft 1.0's {@code queue [flags F,F] [to N[-M]]}. */
    private Expr queue(final Origin o) throws RulesetException
    {
        int from = 0;
        int to = 0;
        boolean bypass = false;
        boolean fanout = false;
        while (peek().kind() == Kind.WORD)
        {
            final Token t = peek();
            if (t.is("num") || t.is("to"))
            {
                next();
                final Token n = next();
                final Interval range = n.kind() == Kind.WORD && peek().kind() == Kind.MINUS
                    ? element(Field.TCP_DPORT, n) : NftValues.parse(Field.TCP_DPORT, n);
                from = range.lo().intValue();
                to = range.hi().intValue();
            }
            else if (t.is("bypass") || t.is("fanout"))
            {
                next();
                bypass |= t.is("bypass");
                fanout |= t.is("fanout");
            }
            else if (t.is("flags"))
            {
                next();
                while (true)
                {
                    final Token f = word("bypass or fanout");
                    if (f.is("bypass"))
                    {
                        bypass = true;
                    }
                    else if (f.is("fanout"))
                    {
                        fanout = true;
                    }
                    else
                    {
                        throw unsupported(f, "queue flag " + f.text());
                    }
                    if (peek().kind() != Kind.COMMA)
                    {
                        break;
                    }
                    next();
                }
            }
            else
            {
                break;
            }
        }
        return new Expr.Queue(from, to, bypass, fanout, o);
    }

    // ---------------------------------------------------------------- tokens

    private Token peek()
    {
        return tokens.get(pos);
    }

    private Token next()
    {
        final Token t = tokens.get(pos);
        if (t.kind() != Kind.EOF)
        {
            pos++;
        }
        return t;
    }

    private void skipSeparators()
    {
        while (peek().kind() == Kind.NL || peek().kind() == Kind.SEMI)
        {
            pos++;
        }
    }

    private void skipNewlines()
    {
        while (peek().kind() == Kind.NL)
        {
            pos++;
        }
    }

    private void endOfStatement() throws RulesetException
    {
        final Token t = peek();
        if (t.kind() == Kind.NL || t.kind() == Kind.SEMI)
        {
            pos++;
        }
        else if (t.kind() != Kind.RBRACE && t.kind() != Kind.EOF)
        {
            throw new RulesetException(t.origin(), "expected the end of the statement, found '" + t.text() + "'");
        }
    }

    private Token expect(final Kind kind) throws RulesetException
    {
        final Token t = next();
        if (t.kind() != kind)
        {
            throw new RulesetException(t.origin(), "expected " + describe(kind) + ", found '" + t.text().replace("\n", "end of line") + "'");
        }
        return t;
    }

    private static String describe(final Kind kind)
    {
        return switch (kind)
        {
            case LBRACE -> "'{'";
            case RBRACE -> "'}'";
            case RPAREN -> "')'";
            case ASSIGN -> "'='";
            case COMMA -> "','";
            case SLASH -> "'/'";
            case STRING -> "a quoted string";
            default -> kind.name().toLowerCase();
        };
    }

    private Token word(final String what) throws RulesetException
    {
        final Token t = next();
        if (t.kind() != Kind.WORD)
        {
            throw new RulesetException(t.origin(), "expected " + what + ", found '" + t.text().replace("\n", "end of line") + "'");
        }
        return t;
    }

    private void keyword(final String word) throws RulesetException
    {
        final Token t = next();
        if (!t.is(word))
        {
            throw new RulesetException(t.origin(), "expected '" + word + "', found '" + t.text().replace("\n", "end of line") + "'");
        }
    }

    private String name(final String what) throws RulesetException
    {
        final Token t = next();
        if (t.kind() != Kind.WORD && t.kind() != Kind.STRING)
        {
            throw new RulesetException(t.origin(), "expected " + what + ", found '" + t.text().replace("\n", "end of line") + "'");
        }
        if (t.text().isEmpty() || t.text().length() > 255 || !Character.isLetter(t.text().charAt(0)) && t.text().charAt(0) != '_')
        {
            throw new RulesetException(t.origin(), "'" + t.text() + "' is not a valid name");
        }
        if (NftNames.RESERVED.contains(t.text()))
        {
            throw new RulesetException(t.origin(), "'" + t.text() + "' is a keyword of nft and cannot be " + what);
        }
        return t.text();
    }

    private static long number(final Token t, final long min, final long max) throws RulesetException
    {
        try
        {
            final long v = Long.parseLong(t.text());
            if (v < min || v > max)
            {
                throw new RulesetException(t.origin(), t.text() + " is out of range");
            }
            return v;
        }
        catch (final NumberFormatException e)
        {
            throw new RulesetException(t.origin(), "expected a number, found '" + t.text().replace("\n", "end of line") + "'");
        }
    }

    static RulesetException unsupported(final Token t, final String what)
    {
        return new RulesetException(t.origin(), what + " is not supported");
    }

    static RulesetException unsupported(final Origin o, final String what)
    {
        return new RulesetException(o, what + " is not supported");
    }
}
