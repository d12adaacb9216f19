import { isIP } from 'node:net';
import { parseAddress } from './address-policy.ts';

// Operator-configured host lists for the image fetcher (images.fetch.allow_hosts / deny_hosts).
// An entry is `host`, `host:port`, `[v6]`, `[v6]:port`, or `*.domain` (any subdomain).
// Allow entries match the host name as written in the URL (after WHATWG normalisation), never
// the address it resolves to: allow-listing `127.0.0.1:8080` does not open `localhost:8080`.
// Deny entries are also checked against the dialled address (by the fetcher), so a denied IP
// cannot be reached through a DNS name or another spelling.

interface HostEntry {
  host: string;
  /** Suffix match for `*.domain` entries. */
  wildcard: boolean;
  port: number | null;
  /** For an IP entry, the address it names (deny entries match every spelling of it). */
  address: string | null;
}

export interface HostRules {
  isAllowed(host: string, port: number): boolean;
  isDenied(host: string, port: number): boolean;
}

export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  // All trailing dots: the URL parser keeps `bad.example..`, and a resolver may accept it.
  h = h.replace(/\.+$/, '');
  return h;
}

/** The address an IP host reaches, in one spelling (`::ffff:a.b.c.d` is a.b.c.d); null for names. */
function addressKey(host: string): string | null {
  return isIP(host) ? (parseAddress(host)?.toString() ?? null) : null;
}

/**
 * Whether `entry` is one this module can match: a host name, `*.domain` or IP address, with
 * an optional port (1–65535). Anything else (a URL, a CIDR range, a typo such as `dead:beef`)
 * would match no host, which in a deny list fails open: the config refuses it.
 */
export function isHostEntry(entry: string): boolean {
  const text = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return isIP(bracketed[1]) === 6 && portInRange(bracketed[2]);
  if (isIP(text) === 6) return true; // a bare IPv6 address takes no port
  const named = /^(?:\*\.)?[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?(?::(\d+))?$/.exec(text);
  return named !== null && portInRange(named[1]);
}

function portInRange(port: string | undefined): boolean {
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
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
  const name = normalizeHost(wildcard ? host.slice(2) : host);
  return { host: name, wildcard, port, address: wildcard ? null : addressKey(name) };
}

export function createHostRules(allow: readonly string[], deny: readonly string[]): HostRules {
  const allowEntries = allow.map(parseHostEntry);
  const denyEntries = deny.map(parseHostEntry);
  const matches = (entries: HostEntry[], host: string, port: number, anySpelling: boolean): boolean => {
    const h = normalizeHost(host);
    const address = anySpelling ? addressKey(h) : null;
    return entries.some((e) => {
      if (e.port !== null && e.port !== port) return false;
      if (address !== null && e.address === address) return true;
      return e.wildcard ? h.endsWith(`.${e.host}`) : h === e.host;
    });
  };
  return {
    // Allowing is by spelling (narrow); denying is by address too (wide).
    isAllowed: (host, port) => matches(allowEntries, host, port, false),
    isDenied: (host, port) => matches(denyEntries, host, port, true),
  };
}
