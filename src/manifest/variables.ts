import { didYouMean } from '../core/suggest.js';

/**
 * Template variables from outside the manifests: `--var name=value`, then the environment
 * variable `VERTEXCTL_VAR_name`. Only prefixed environment variables are read (as Terraform reads
 * only `TF_VAR_`), so a manifest arriving in a pull request cannot print a pipeline's secrets
 * (`{{ CI_DEPLOY_TOKEN }}`) into a plan that is posted publicly. Names are looked up as own data
 * only: `{{ toString }}` or `{{ __proto__ }}` are unset variables, not Object.prototype members.
 */
export const ENV_VAR_PREFIX = 'VERTEXCTL_VAR_';

/** What a template variable's name may be: the names `--var` accepts. */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export interface OutsideVariables {
  lookup(name: string): { value: string } | undefined;
  /** Why a name is unset; `known` are other names in scope, for "did you mean". */
  unsetMessage(name: string, known: readonly string[]): string;
}

export function outsideVariables(
  vars: Readonly<Record<string, string>>,
  environment: Readonly<Record<string, string | undefined>>,
): OutsideVariables {
  return {
    lookup(name) {
      if (Object.hasOwn(vars, name)) return { value: vars[name] };
      const key = ENV_VAR_PREFIX + name;
      const fromEnv = Object.hasOwn(environment, key) ? environment[key] : undefined;
      return typeof fromEnv === 'string' ? { value: fromEnv } : undefined;
    },
    unsetMessage(name, known) {
      const prefixed = Object.keys(environment)
        .filter((k) => k.startsWith(ENV_VAR_PREFIX))
        .map((k) => k.slice(ENV_VAR_PREFIX.length));
      const hint = didYouMean(name, [...known, ...Object.keys(vars), ...prefixed]);
      return `unset variable "${name}"${hint}: define a global, pass --var ${name}=…, or set the environment variable ${ENV_VAR_PREFIX}${name}`;
    },
  };
}
