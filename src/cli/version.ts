// The version `--version` prints. Kept equal to package.json's by tests/cli/version.test.ts (a
// release bumps both), so the bundle needs no JSON import.
export const VERSION = '1.0.0'
