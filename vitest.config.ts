import { defineConfig } from "vitest/config";

// Tests run against each workspace's TypeScript source (the "@mirage/source" export condition),
// so `vitest` needs no build of the libs; services started as processes use the built dist.
export default defineConfig({
  resolve: { conditions: ["@mirage/source", "node", "import", "default"] },
  ssr: { resolve: { conditions: ["@mirage/source", "node", "import", "default"] } },
  test: {
    include: [
      "libs/*/src/**/*.test.ts",
      "services/*/src/**/*.test.ts",
      "test/**/*.test.ts",
      "training/**/*.test.ts",
      "bench/**/*.test.ts",
    ],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
  },
});
