import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'tests/fixtures/**'],
    setupFiles: ['tests/helpers/property-seed.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: the action tests spawn child processes, so keep the pool small and predictable.
    pool: 'forks',
    maxWorkers: 2
  }
})
