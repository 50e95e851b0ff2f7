/**
 * The layering of docs/architecture.md, checked by `npm run lint`.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'No import cycles in src/.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'store-normalize-below-sync',
      comment:
        'The store and the normalizer sit below the sync engine, the CLI, the simulator and the composition root.',
      severity: 'error',
      from: { path: '^src/(store|normalize)/' },
      to: { path: '^src/(sync|cli|simulator|main)/' },
    },
    {
      name: 'mde-knows-no-store',
      comment: 'The MDE client knows no store, no sync engine, no CLI and no simulator.',
      severity: 'error',
      from: { path: '^src/mde/' },
      to: { path: '^src/(sync|store|cli|simulator|main)/' },
    },
    {
      name: 'normalize-no-store',
      comment: 'The normalizer does no I/O: it never imports the store.',
      severity: 'error',
      from: { path: '^src/normalize/' },
      to: { path: '^src/store/' },
    },
    {
      name: 'production-no-simulator',
      comment: 'Production code never imports the simulator; only the simulator and demo commands start it.',
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
    tsPreCompilationDeps: true,
  },
};
