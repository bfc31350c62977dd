package io.flowgate.app.config;

import java.nio.file.Path;

/**
 * The {@code rules:} file refused (at its own line and column): exits 1 as {@code nft -f} does on a bad ruleset, where the
 * rest of a refused configuration exits 2.
 */
public final class RulesFileException extends ConfigException
{
    private static final long serialVersionUID = 1L;

    public RulesFileException(final Path file, final int line, final int column, final String reason)
    {
        super(file, line, column, reason);
    }
}
