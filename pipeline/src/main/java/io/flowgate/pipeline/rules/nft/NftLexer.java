package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.RulesetException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits an nft file into tokens and expands {@code define NAME = ...} / {@code $NAME}. Words are maximal runs of
 * letters, digits and {@code _ . : * / -} (so {@code 10.0.0.0/8}, {@code 2001:db8::/32}, {@code 1024-2047},
 * {@code 10/minute}, {@code echo-request} are one word each); a {@code -} or {@code /} standing alone is its own
 * token ({@code filter - 10}, {@code syn / syn,ack}).
 */
final class NftLexer
{
    enum Kind
    {
        WORD, STRING, NL, SEMI, LBRACE, RBRACE, LPAREN, RPAREN, COMMA, ASSIGN, EQEQ, NEQ, LT, GT, LE, GE, AMP, PIPE,
        SLASH, DOLLAR, AT, MINUS, PLUS, BANG, EOF
    }

    record Token(Kind kind, String text, Origin origin)
    {
        boolean is(final String word)
        {
            return kind == Kind.WORD && text.equals(word);
        }

        Token at(final Origin where)
        {
            return new Token(kind, text, where);
        }
    }

    private NftLexer()
    {
    }

    static List<Token> lex(final String file, final String text) throws RulesetException
    {
        final List<Token> out = new ArrayList<>();
        int line = 1;
        int lineStart = 0;
        int i = 0;
        final int n = text.length();
        while (i < n)
        {
            final char c = text.charAt(i);
            final Origin at = new Origin(file, line, i - lineStart + 1);
            if (c == '\n')
            {
                out.add(new Token(Kind.NL, "\n", at));
                i++;
                line++;
                lineStart = i;
            }
            else if (c == ' ' || c == '\t' || c == '\r')
            {
                i++;
            }
            else if (c == '\\' && i + 1 < n && text.charAt(i + 1) == '\n')
            {
                i += 2;
                line++;
                lineStart = i;
            }
            else if (c == '#')
            {
                while (i < n && text.charAt(i) != '\n')
                {
                    i++;
                }
            }
            else if (c == '"')
            {
                final int end = text.indexOf('"', i + 1);
                final int eol = text.indexOf('\n', i + 1);
                if (end < 0 || (eol >= 0 && eol < end))
                {
                    throw new RulesetException(at, "unterminated string");
                }
                out.add(new Token(Kind.STRING, text.substring(i + 1, end), at));
                i = end + 1;
            }
            else if (isWordStart(c, text, i))
            {
                int j = i + 1;
                while (j < n && isWordPart(text.charAt(j)))
                {
                    j++;
                }
                out.add(new Token(Kind.WORD, text.substring(i, j), at));
                i = j;
            }
            else
            {
                final char next = i + 1 < n ? text.charAt(i + 1) : 0;
                final Kind kind;
                int len = 1;
                switch (c)
                {
                    case ';' -> kind = Kind.SEMI;
                    case '{' -> kind = Kind.LBRACE;
                    case '}' -> kind = Kind.RBRACE;
                    case '(' -> kind = Kind.LPAREN;
                    case ')' -> kind = Kind.RPAREN;
                    case ',' -> kind = Kind.COMMA;
                    case '&' -> kind = Kind.AMP;
                    case '|' -> kind = Kind.PIPE;
                    case '/' -> kind = Kind.SLASH;
                    case '$' -> kind = Kind.DOLLAR;
                    case '@' -> kind = Kind.AT;
                    case '-' -> kind = Kind.MINUS;
                    case '+' -> kind = Kind.PLUS;
                    case '=' ->
                    {
                        kind = next == '=' ? Kind.EQEQ : Kind.ASSIGN;
                        len = next == '=' ? 2 : 1;
                    }
                    case '!' ->
                    {
                        kind = next == '=' ? Kind.NEQ : Kind.BANG;
                        len = next == '=' ? 2 : 1;
                    }
                    case '<' ->
                    {
                        kind = next == '=' ? Kind.LE : Kind.LT;
                        len = next == '=' ? 2 : 1;
                    }
                    case '>' ->
                    {
                        kind = next == '=' ? Kind.GE : Kind.GT;
                        len = next == '=' ? 2 : 1;
                    }
                    default -> throw new RulesetException(at, "unexpected character '" + c + "'");
                }
                out.add(new Token(kind, text.substring(i, i + len), at));
                i += len;
            }
        }
        out.add(new Token(Kind.EOF, "end of file", new Origin(file, line, n - lineStart + 1)));
        return expandDefines(out);
    }

    private static boolean isWordStart(final char c, final String text, final int i)
    {
        if (Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '*')
        {
            return true;
        }
        // ":8080" (a port without address), "::1"; "-300" (a negative priority)
        final char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
        return c == ':' || (c == '-' && Character.isDigit(next));
    }

    private static boolean isWordPart(final char c)
    {
        return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == ':' || c == '*' || c == '/' || c == '-';
    }

    /** {@code define NAME = tokens} (to the end of the line) is removed; each {@code $NAME} becomes those tokens. */
    private static List<Token> expandDefines(final List<Token> in) throws RulesetException
    {
        final Map<String, List<Token>> defines = new HashMap<>();
        final List<Token> out = new ArrayList<>(in.size());
        for (int i = 0; i < in.size(); i++)
        {
            final Token t = in.get(i);
            final boolean statementStart = out.isEmpty() || switch (out.get(out.size() - 1).kind)
            {
                case NL, SEMI, LBRACE, RBRACE -> true;
                default -> false;
            };
            if (statementStart && (t.is("define") || t.is("redefine")))
            {
                final Token name = in.get(i + 1);
                if (name.kind != Kind.WORD || in.get(i + 2).kind != Kind.ASSIGN)
                {
                    throw new RulesetException(t.origin, "define needs NAME = VALUE");
                }
                int j = i + 3;
                int depth = 0;
                final List<Token> value = new ArrayList<>();
                while (true)
                {
                    final Token v = in.get(j);
                    if (v.kind == Kind.EOF || (depth == 0 && (v.kind == Kind.NL || v.kind == Kind.SEMI)))
                    {
                        break;
                    }
                    depth += v.kind == Kind.LBRACE ? 1 : v.kind == Kind.RBRACE ? -1 : 0;
                    if (v.kind == Kind.DOLLAR)
                    {
                        final List<Token> inner = defines.get(in.get(j + 1).text);
                        if (inner == null)
                        {
                            throw new RulesetException(v.origin, "undefined variable $" + in.get(j + 1).text);
                        }
                        value.addAll(inner);
                        j += 2;
                        continue;
                    }
                    if (v.kind != Kind.NL)
                    {
                        value.add(v);
                    }
                    j++;
                }
                if (value.isEmpty())
                {
                    throw new RulesetException(t.origin, "define " + name.text + " has no value");
                }
                if (t.is("define") && defines.containsKey(name.text))
                {
                    throw new RulesetException(name.origin, "variable " + name.text + " is already defined");
                }
                defines.put(name.text, value);
                i = j - 1;
            }
            else if (t.kind == Kind.DOLLAR)
            {
                final Token name = in.get(i + 1);
                final List<Token> value = name.kind == Kind.WORD ? defines.get(name.text) : null;
                if (value == null)
                {
                    throw new RulesetException(t.origin, "undefined variable $" + name.text);
                }
                for (final Token v : value)
                {
                    out.add(v.at(t.origin));
                }
                i++;
            }
            else
            {
                out.add(t);
            }
        }
        return out;
    }
}
