import type { Problem } from '../core/errors.js';
import { pointerOf, posAt, selectValue, isProblem, usableEntries, where, type Selected, type ShapedFile } from './shape.js';
import { substituteVariables, type VariableScope } from './template.js';
import type { LoadOptions } from './types.js';
import { outsideVariables } from './variables.js';
import type { ParsedFile } from './yaml.js';

// The stack header any file may state, and the globals templates read.

/** version / name / description: any file may state them; all that do must agree. */
export function stackHeader(files: readonly ShapedFile[], problems: Problem[]): { name: string; description?: string } {
  const agreed: Partial<Record<'name' | 'description', { value: string; file: ParsedFile }>> = {};
  let badName = false;
  for (const file of files) {
    for (const key of ['name', 'description'] as const) {
      const value = file.value[key];
      if (value === undefined) continue;
      if (file.skipped.has(`/${key}`)) {
        // Reported by the shape check.
        badName ||= key === 'name';
        continue;
      }
      const first = agreed[key];
      if (!first) agreed[key] = { value, file };
      else if (first.value !== value) {
        const firstPos = where(posAt(first.file, `/${key}`));
        problems.push({ pos: posAt(file, `/${key}`), message: `stack ${key} "${value}" differs from "${first.value}" given at ${firstPos}` });
      }
    }
  }
  if (!agreed.name && !badName) {
    problems.push({ pos: posAt(files[0], ''), message: 'missing stack "name" (give it in one of the stack\'s files)' });
  }
  return { name: agreed.name?.value ?? '', description: agreed.description?.value };
}

interface Global {
  name: string;
  file: ParsedFile;
  pointer: string;
  selected: Selected;
  state: 'pending' | 'resolving' | 'done';
  value?: unknown;
}

/**
 * The variable scope of templates: --var, then VERTEXCTL_VAR_ environment variables, then
 * globals (each resolved once, cycles reported). Every global is checked, used or not.
 */
export function globalScope(
  files: readonly ShapedFile[],
  addresses: { has(address: string): boolean },
  opts: LoadOptions,
  problems: Problem[],
): VariableScope {
  const environment = opts.environment ?? process.env;
  const vars = opts.vars ?? {};
  const globals = new Map<string, Global>();
  for (const file of files) {
    for (const { entry: g, pointer } of usableEntries(file, 'globals')) {
      const first = globals.get(g.name);
      if (first) {
        problems.push({ pos: posAt(file, `${pointer}/name`), message: `duplicate global "${g.name}" (first defined at ${where(posAt(first.file, `${first.pointer}/name`))})` });
        continue;
      }
      const selected = selectValue(file, g, pointer, opts.env);
      if (isProblem(selected)) problems.push(selected);
      else globals.set(g.name, { name: g.name, file, pointer, selected, state: 'pending' });
    }
  }
  // Globals of the wrong shape (reported already) that still have a name: what uses them is
  // left as written, neither an unset variable nor a value to check.
  const unusable = new Set<string>();
  for (const file of files) {
    const list = file.value.globals;
    if (!Array.isArray(list)) continue;
    list.forEach((g: { name?: unknown } | null, i) => {
      if (typeof g?.name === 'string' && (file.skipped.has('/globals') || file.skipped.has(`/globals/${i}`)) && !globals.has(g.name)) unusable.add(g.name);
    });
  }

  const resolving: string[] = [];
  const outside = outsideVariables(vars, environment);
  const scope: VariableScope = {
    lookup(name) {
      // --var and VERTEXCTL_VAR_ override a global of the same name, as -var and TF_VAR_ override
      // a Terraform variable's default; the global is still checked (below).
      const given = outside.lookup(name);
      if (given) return given;
      const g = globals.get(name);
      if (g) return { value: resolveGlobal(g) };
      return unusable.has(name) ? { value: `{{ ${name} }}` } : undefined;
    },
    unsetMessage(name) {
      if (addresses.has(name)) return `"${name}" is a resource; reference one of its fields, e.g. {{ ${name}.name }}`;
      return outside.unsetMessage(name, [...globals.keys()]);
    },
  };
  function resolveGlobal(g: Global): unknown {
    if (g.state === 'done') return g.value;
    if (g.state === 'resolving') {
      const cycle = [...resolving.slice(resolving.indexOf(g.name)), g.name].join(' -> ');
      problems.push({ pos: posAt(g.file, g.selected.pointer), message: `global "${g.name}" refers to itself: ${cycle}` });
      return g.selected.value;
    }
    g.state = 'resolving';
    resolving.push(g.name);
    g.value = substituteVariables(g.selected.value, scope, (path, message) => {
      problems.push({ pos: posAt(g.file, g.selected.pointer + pointerOf(path)), message });
    });
    resolving.pop();
    g.state = 'done';
    return g.value;
  }
  // Every global is checked, used or not: an unset variable in one is a mistake either way.
  for (const g of globals.values()) resolveGlobal(g);
  return scope;
}
