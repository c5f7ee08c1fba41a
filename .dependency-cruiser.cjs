// Import rules between the rooms (top-level folders). docs/architecture.md explains the layout.
// Each room may import only the rooms listed for it: all of them sit lower in the stack, and
// rooms on the same level (store, firmware-config, synthetic; enroll, field-tools, replication) do not import
// each other. So imports only point down and no cycle between folders can form. A new room gets
// a line here, placed in this order, and its folder in package.json's lint script. Tests (test/) are not cruised: they may import anything.
/** @type {Record<string, string[]>} room → rooms it may import */
const MAY_IMPORT = {
  pipeline: [],
  store: ['pipeline'],
  'firmware-config': ['pipeline'],
  synthetic: ['pipeline'],
  access: ['pipeline', 'store', 'firmware-config', 'synthetic'],
  enroll: ['pipeline', 'store', 'firmware-config', 'synthetic', 'access'],
  'field-tools': ['pipeline', 'store', 'firmware-config', 'synthetic', 'access'],
  replication: ['pipeline', 'store', 'firmware-config', 'synthetic', 'access'],
  daemon: ['pipeline', 'store', 'firmware-config', 'synthetic', 'access', 'enroll', 'field-tools', 'replication'],
  bench: ['pipeline', 'store', 'firmware-config', 'synthetic', 'access', 'enroll', 'field-tools', 'replication', 'daemon'],
  // Browser code: built by Vite into static files the API serves; it talks to the appliance over HTTP only.
  console: [],
};
const ROOMS = Object.keys(MAY_IMPORT);
const anyOf = (rooms) => `^(${rooms.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...ROOMS.map((room) => ({
      name: `layers-${room}`,
      severity: 'error',
      comment:
        `${room}/ may import only ${MAY_IMPORT[room].length ? MAY_IMPORT[room].map((r) => `${r}/`).join(', ') : 'itself (it is the leaf)'}. ` +
        'Imports point down the stack (docs/architecture.md); where a lower room needs a service from above, ' +
        'it declares an interface and daemon/ passes the implementation in.',
      from: { path: `^${room}/` },
      to: { path: anyOf(ROOMS.filter((r) => r !== room && !MAY_IMPORT[room].includes(r))) },
    })),
    {
      name: 'arithmetic-without-runtime',
      severity: 'error',
      comment:
        'Vector maths, calibration and the track decider are plain arithmetic: they may not load ' +
        'onnxruntime-node (a native runtime), directly or through another module.',
      from: { path: '^(pipeline/vector|field-tools/calibration|access/track-decider)[.]ts$' },
      to: { path: 'onnxruntime-node', reachable: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules may not import each other in a circle, directly or through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that cannot be resolved: a typo or a dependency missing from package.json.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-test',
      severity: 'error',
      comment: 'Shipped code may not import test code.',
      from: { pathNot: '^test/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-dev-dep',
      severity: 'error',
      comment: 'Shipped code may not import a devDependency: it is not installed on the appliance.',
      // The console's Vite config runs at build time only.
      from: { path: anyOf(ROOMS), pathNot: '^console/vite[.]config[.]ts$' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
