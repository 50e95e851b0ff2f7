/** The V8 flags of mdec's long-running commands (see node-flags.js). */
export declare const PRODUCT_NODE_FLAGS: readonly string[];
/** The commands bin/mdec.js starts again under those flags. */
export declare const LONG_RUNNING_COMMANDS: ReadonlySet<string>;
