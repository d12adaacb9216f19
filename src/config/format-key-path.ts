// A zod issue's path as the key a person writes in a config file: `providers.up.timeout_ms`,
// `models[0].name`.

export function formatKeyPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}
