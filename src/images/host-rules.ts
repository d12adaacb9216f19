// Operator-configured host lists for the image fetcher (images.fetch.allow_hosts / deny_hosts).
// An entry is `host`, `host:port`, `[v6]`, `[v6]:port`, or `*.domain` (any subdomain).
// Matching is on the host name as written in the URL (after WHATWG normalisation), never on
// the address it resolves to: allow-listing `127.0.0.1:8080` does not open `localhost:8080`.

interface HostEntry {
  host: string;
  /** Suffix match for `*.domain` entries. */
  wildcard: boolean;
  port: number | null;
}

export interface HostRules {
  isAllowed(host: string, port: number): boolean;
  isDenied(host: string, port: number): boolean;
}

export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  return h;
}

export function parseHostEntry(entry: string): HostEntry {
  const text = entry.trim().toLowerCase();
  let host = text;
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1];
    port = bracketed[2] ? Number(bracketed[2]) : null;
  } else {
    const withPort = /^([^:]+):(\d+)$/.exec(text);
    if (withPort) {
      host = withPort[1];
      port = Number(withPort[2]);
    }
  }
  // Canonicalise IP literals the way the URL parser does, so `127.0.0.1` and `[::1]` match.
  try {
    const url = new URL(`http://${host.includes(':') ? `[${host}]` : host}/`);
    host = url.hostname;
  } catch {
    // A wildcard or odd entry: keep it as written.
  }
  const wildcard = host.startsWith('*.');
  return { host: normalizeHost(wildcard ? host.slice(2) : host), wildcard, port };
}

export function createHostRules(allow: readonly string[], deny: readonly string[]): HostRules {
  const allowEntries = allow.map(parseHostEntry);
  const denyEntries = deny.map(parseHostEntry);
  const matches = (entries: HostEntry[], host: string, port: number): boolean => {
    const h = normalizeHost(host);
    return entries.some((e) => {
      if (e.port !== null && e.port !== port) return false;
      return e.wildcard ? h.endsWith(`.${e.host}`) : h === e.host;
    });
  };
  return {
    isAllowed: (host, port) => matches(allowEntries, host, port),
    isDenied: (host, port) => matches(denyEntries, host, port),
  };
}
