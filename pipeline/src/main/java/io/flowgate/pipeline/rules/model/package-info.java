/**
 * The rule engine's intermediate representation: what an nft ruleset file says, parsed and checked but not yet
 * compiled (docs/rules.md). The parser ({@code rules.nft}) produces it, the printer prints it back in nft syntax,
 * the classifier ({@code rules.classify}) compiles a chain's matches, the runtime ({@code rules}) executes the
 * rest. Immutable; built on the control path only, never touched per packet.
 */
package io.flowgate.pipeline.rules.model;
