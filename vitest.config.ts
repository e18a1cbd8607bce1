import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests run several CLI processes each; a machine shared by many runs needs the room.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
