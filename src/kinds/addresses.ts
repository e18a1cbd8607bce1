/**
 * Resource addresses (a resource's `name` in the manifest): the keys of state, references
 * (`{{ address.field }}`), dependsOn, --target and --replace. A letter or `_`, then letters,
 * digits, `_` and `-`, at most 128 characters; never `__proto__`, which JavaScript objects
 * cannot hold as an ordinary key (the state document is JSON keyed by address).
 */
export const ADDRESS_PATTERN = '^(?!__proto__$)[A-Za-z_][A-Za-z0-9_-]{0,127}$';

export const ADDRESS_RULE =
  'an address starts with a letter or _ and holds letters, digits, _ and -, at most 128 characters (and is not __proto__)';

const ADDRESS = new RegExp(ADDRESS_PATTERN, 'u');

export function isAddress(text: string): boolean {
  return ADDRESS.test(text);
}
