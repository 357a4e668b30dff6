import { defineConfig } from 'vitest/config';

// The Library load benchmark (make bench-ui): figures, not pass/fail timings.
export default defineConfig({
  test: {
    include: ['e2e/**/*.bench.ts'],
    testTimeout: 600000,
    hookTimeout: 600000,
  },
});
