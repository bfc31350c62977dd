package io.flowgate.app.config;

import java.nio.file.Path;

/** A configuration refused: names the file, the line and column (1-based) and the reason. */
public class ConfigException extends IllegalArgumentException
{
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;
    private final int column;
    private final String reason;

    public ConfigException(final Path file, final int line, final int column, final String reason)
    {
        super(file + ":" + line + ":" + column + ": " + reason);
        this.file = file;
        this.line = line;
        this.column = column;
        this.reason = reason;
    }

    public Path file()
    {
        return file;
    }

    public int line()
    {
        return line;
    }

    public int column()
    {
        return column;
    }

    public String reason()
    {
        return reason;
    }
}
