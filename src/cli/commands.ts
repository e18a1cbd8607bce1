import type { Command } from 'commander';
import * as apply from './apply.js';
import * as destroy from './destroy.js';
import * as drift from './drift.js';
import * as emulator from './emulator.js';
import * as forceUnlock from './force-unlock.js';
import * as graph from './graph.js';
import * as importCmd from './import.js';
import * as plan from './plan.js';
import * as show from './show.js';
import * as start from './start.js';
import * as state from './state.js';
import * as validate from './validate.js';

/** Every command lives in its own file in src/cli/ and exports `register(program)`. */
export function registerCommands(program: Command): void {
  for (const cmd of [validate, plan, show, apply, drift, destroy, importCmd, state, forceUnlock, graph, emulator, start]) {
    cmd.register(program);
  }
}
