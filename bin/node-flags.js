// The V8 flags mdec's long-running commands run with, read by bin/mdec.js and by the benchmarks (so
// they measure the product as it runs). Plain JavaScript that any Node can parse.
//
// --max-semi-space-size=4 (MB): a sync allocates a great deal of short-lived garbage (parsed export
// rows, their encodings). With V8's default young generation, sized for throughput on large
// machines, that garbage counts against the process's peak memory for the whole pass; a 4 MB semi
// space collects it sooner at no measured cost in speed (docs/benchmarks.md#young-generation).
export const PRODUCT_NODE_FLAGS = ['--max-semi-space-size=4'];

// The commands that run a sync or serve for long: the ones started again under these flags.
export const LONG_RUNNING_COMMANDS = new Set(['sync', 'worker', 'serve', 'demo']);
