package io.flowgate.pipeline.rules.model;

import io.flowgate.pipeline.hook.Hook;

/**
 * What makes a chain a base chain: {@code type T hook H priority P; policy accept|drop;}. {@code priority} is the
 * number (nft's names {@code raw -300, mangle -150, dstnat -100, filter 0, security 50, srcnat 100} resolved by
 * the parser, also in {@code filter + 10} form).
 */
public record BaseChain(ChainType type, Hook hook, int priority, boolean policyDrop)
{
}
