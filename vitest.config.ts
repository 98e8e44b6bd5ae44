import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run the packages from their TypeScript sources, as the exports' `source` condition makes
// tsc and the npm scripts' tsx do; without that condition the exports point at the built dist/.
const packages = fileURLToPath(new URL('./packages/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@graphmode\/graph\/proto$/, replacement: `${packages}graph/src/proto/index.ts` },
      { find: /^@graphmode\/([\w-]+)$/, replacement: `${packages}$1/src/index.ts` },
    ],
  },
  test: {
    include: ['tests/**/*.test.ts'],
    setupFiles: ['scripts/quiet_tfjs.ts'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
