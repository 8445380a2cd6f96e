import { defineConfig } from 'vitest/config'

// The backend is chosen by STORAGE_BACKEND (see test/backend.ts). JUnit output, for the
// dual-backend-coverage gate, is requested on the command line:
//   npx vitest run --reporter=default --reporter=junit --outputFile.junit=reports/sqlite/junit.xml
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
    hookTimeout: 20_000
  }
})
