package io.flowgate.nativebindings.gen;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a {@link StructLayout} from the fields at the C offsets it names, padding the gaps, so a layout
 * lists only the fields Java touches and still has the struct's true size. Every named member is checked
 * against {@code offsetof}/{@code sizeof} of the installed headers by {@code StructLayoutProbeTest}.
 */
final class StructBuilder
{
    private final String name;
    private final List<MemoryLayout> members = new ArrayList<>();
    private long position;

    private StructBuilder(final String name)
    {
        this.name = name;
    }

    static StructBuilder struct(final String name)
    {
        return new StructBuilder(name);
    }

    StructBuilder field(final long offset, final MemoryLayout layout, final String fieldName)
    {
        if (offset < position)
        {
            throw new IllegalStateException(name + "." + fieldName + " at " + offset + " overlaps previous field");
        }
        if (offset > position)
        {
            members.add(MemoryLayout.paddingLayout(offset - position));
        }
        members.add(layout.withName(fieldName));
        position = offset + layout.byteSize();
        return this;
    }

    StructLayout size(final long byteSize, final long byteAlignment)
    {
        if (byteSize < position)
        {
            throw new IllegalStateException(name + " size " + byteSize + " < last field end " + position);
        }
        if (byteSize > position)
        {
            members.add(MemoryLayout.paddingLayout(byteSize - position));
        }
        final StructLayout layout = MemoryLayout.structLayout(members.toArray(new MemoryLayout[0])).withName(name);
        return layout.withByteAlignment(Math.max(byteAlignment, 1));
    }
}
