/**
 * Resource addresses (a resource's `name` in the manifest): the keys of state, references
 * (`{{ address.field }}`), dependsOn, --target and --replace. A letter or `_`, then letters,
 * digits, `_` and `-`, at most 128 characters; never `__proto__`, which JavaScript objects
 * cannot hold as an ordinary key (the state document is JSON keyed by address).
 */
export const ADDRESS_PATTERN = '^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]{0,127}$';

export const ADDRESS_RULE =
  'an address starts with a letter or _ and holds letters, digits, _ and -, at most 128 characters (and is not __proto__)';

/** The address of a plan step: an address, or `address#id` for retiring a resource it replaced. */
export const STEP_ADDRESS_PATTERN = '^(?!__proto__(?:#|$))[A-Za-z_][A-Za-z0-9_-]{0,127}(?:#[A-Za-z0-9._~:-]+)?$';

export const STEP_ADDRESS_RULE = `${ADDRESS_RULE}, or such an address, # and the id of a resource it replaced`;

const ADDRESS = new RegExp(ADDRESS_PATTERN, 'u');

export function isAddress(text: string): boolean {
  return ADDRESS.test(text);
}
