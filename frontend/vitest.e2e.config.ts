import { defineConfig } from 'vitest/config';

// The end-to-end tests: a real browser against a real hoard serve, one
// step after another.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60000,
    hookTimeout: 60000,
    fileParallelism: false,
  },
});
