/**
 * The layering of docs/architecture.md (section "Layers"), checked by `npm run lint`. Each rule is one
 * of that section's rules; a violation fails the lint.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'nothing-below-sync-imports-it',
      comment:
        'The client, the normalizer and the store never import the sync engine; what they share with it belongs below it.',
      severity: 'error',
      from: { path: '^src/(mde|normalize|store)/' },
      to: { path: '^src/sync/' },
    },
    {
      name: 'only-main-imports-cli',
      comment: 'The commands sit on top: only src/main (and the commands themselves) import src/cli.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|main)/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'nothing-imports-main',
      comment: 'src/main is the composition root; nothing imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/main/' },
      to: { path: '^src/main/' },
    },
    {
      name: 'client-knows-no-store',
      comment: 'The MDE client knows nothing of the store.',
      severity: 'error',
      from: { path: '^src/mde/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'normalizer-does-no-io',
      comment: 'The normalizer is pure: it never imports the store.',
      severity: 'error',
      from: { path: '^src/normalize/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'production-never-imports-simulator',
      comment:
        'Only the simulator and demo commands start the simulator; tests may use it, production code may not.',
      severity: 'error',
      from: {
        path: '^src/',
        pathNot: ['^src/simulator/', '^src/cli/(simulator|demo)-command\\.ts$', '\\.test\\.ts$'],
      },
      to: { path: '^src/simulator/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a cycle through a type is still a cycle in the design.
    tsPreCompilationDeps: true,
  },
};
