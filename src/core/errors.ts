import { escapeForDisplay } from './display.js';

/** A place in an input file (manifest, state, plan file), 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

/** One problem in the user's input, rendered as `file:line:col: resource "address": message`. */
export interface Problem {
  pos?: SourcePos;
  /** Resource address, when the problem belongs to one. */
  address?: string;
  message: string;
}

/**
 * An error the user can act on: printed as one line per problem, exit code 1, never a stack
 * trace. Anything else reaching the top level is a bug and is printed as one line too.
 */
export class UserError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[] | string) {
    const list = typeof problems === 'string' ? [{ message: problems }] : problems;
    super(list.map(formatProblem).join('\n'));
    this.name = 'UserError';
    this.problems = list;
  }
}

export function formatProblem(p: Problem): string {
  const where = p.pos ? `${p.pos.file}:${p.pos.line}:${p.pos.col}: ` : '';
  const who = p.address ? `resource "${p.address}": ` : '';
  // One line per problem, whatever user text it quotes; and no invisible characters in it.
  return escapeForDisplay(`${where}${who}${p.message}`);
}
