package io.flowgate.stack;

/** A socket call the stack refuses (address in use, no route, no free port, closed): never thrown on the data path. */
public final class StackException extends Exception
{
    public StackException(final String message)
    {
        super(message);
    }
}
