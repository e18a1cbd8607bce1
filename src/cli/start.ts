import type { Command } from 'commander';

// Placeholder: being written.
export function register(program: Command): void {
  void program;
}
