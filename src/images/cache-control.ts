// How long a fetched image may be reused, from its response headers (RFC 9111, simplified
// for a shared cache that only ever replays a GET): no-store / no-cache / private → not cached
// (private: a shared cache must not store it, and Iris's cache serves every client);
// s-maxage or max-age; else Expires; else a default freshness.

export function freshnessMs(
  headers: { 'cache-control'?: string | string[]; expires?: string | string[]; date?: string | string[] },
  defaultMs: number,
  now = Date.now(),
): number {
  const cc = joinHeader(headers['cache-control']).toLowerCase();
  if (cc) {
    const directives = new Map<string, string | true>();
    for (const part of cc.split(',')) {
      const [name, value] = part.trim().split('=', 2);
      if (name) directives.set(name.trim(), value === undefined ? true : value.trim().replace(/^"|"$/g, ''));
    }
    if (directives.has('no-store') || directives.has('no-cache') || directives.has('private')) return 0;
    for (const name of ['s-maxage', 'max-age']) {
      const v = directives.get(name);
      if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v) * 1000;
    }
  }
  const expires = joinHeader(headers.expires);
  if (expires) {
    const at = Date.parse(expires);
    if (Number.isNaN(at)) return 0; // an invalid Expires means already expired
    const date = Date.parse(joinHeader(headers.date));
    return Math.max(0, at - (Number.isNaN(date) ? now : date));
  }
  return defaultMs;
}

function joinHeader(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(', ') : value;
}
