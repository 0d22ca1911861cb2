// Names the API accepts in paths and bodies (environments, apps, users, token names and ids):
// lower-case letters, digits and dashes, starting with a letter or digit, at most 63 characters.
// Anything else (`..`, `%2F`, spaces, upper case) is refused before it reaches a workflow.
export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function isName(value: string): boolean {
  return NAME_PATTERN.test(value);
}
