// Which folder may import which (docs/architecture.md): the shared core imports nothing
// of ours; the protocol nothing at all; workers/ and archive/ only the core and the
// protocol; recorder/ (the recorder process) those and archive/; src/ anything; the
// browser SDK and pages only the protocol. Tests and benchmarks may reach anywhere.
const FOLDERS = [
  'common',
  'protocol',
  'archive',
  'recorder',
  'workers',
  'src',
  'client-sdk',
  'test',
  'bench',
];

const allowed = {
  common: [],
  protocol: [],
  workers: ['common', 'protocol'],
  archive: ['common', 'protocol'],
  recorder: ['common', 'protocol', 'archive'],
  'client-sdk': ['protocol'],
};

export const boundaries = Object.entries(allowed).map(([folder, may]) => {
  const forbidden = FOLDERS.filter((f) => f !== folder && !may.includes(f));
  // client-sdk/src and client-sdk/pages sit one level down, and `src` is a name of its
  // own there: what is forbidden is climbing out of client-sdk/ to anything but the protocol.
  const regex =
    folder === 'client-sdk'
      ? `^\\.\\./\\.\\./(?!${may.join('|')}/)`
      : `^(\\.\\./)+(${forbidden.join('|')})/`;
  return {
    files: [`${folder}/**/*.ts`],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex,
              message: `${folder}/ may import ${may.length > 0 ? `only ${may.join(', ')}` : 'nothing of ours'} (see eslint.boundaries.js)`,
            },
          ],
        },
      ],
    },
  };
});
