import ipaddr from 'ipaddr.js';

// Which IP addresses Iris may connect to when fetching a user-supplied image URL. A pure
// function of the address, so every range can be tested without ever connecting to it.
// Only globally routable unicast is public; everything else (loopback, RFC 1918, link-local
// incl. 169.254.169.254, CGNAT, multicast, reserved, unspecified, unique-local, transition
// prefixes whose embedded IPv4 we cannot vouch for) is refused unless the host is allow-listed.

export interface AddressVerdict {
  /** True when the address is globally routable unicast. */
  public: boolean;
  /** ipaddr.js range name, e.g. `loopback`, `private`, `linkLocal`, `unicast`; `invalid` if unparsable. */
  range: string;
}

// The IPv6 space assigned for global unicast. ipaddr.js calls every address it has no range for
// `unicast`, including the deprecated IPv4-compatible `::a.b.c.d` (`::7f00:1` is 127.0.0.1 on
// some stacks), which the URL parser writes `http://[::127.0.0.1]/` as.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

export function classifyAddress(address: string): AddressVerdict {
  const parsed = parseAddress(address);
  if (!parsed) return { public: false, range: 'invalid' };
  const range = parsed.range();
  if (range === 'unicast' && parsed.kind() === 'ipv6' && !(parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6)) return { public: false, range: 'unassigned' };
  return { public: range === 'unicast', range };
}

/**
 * The address that is dialled, or null if `address` is not an IP address. `::ffff:a.b.c.d`
 * reaches the IPv4 address a.b.c.d, so it comes back as that address.
 */
export function parseAddress(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // Only canonical textual forms here: numeric hosts like `2130706433` or `127.1` are
  // normalised by the WHATWG URL parser before they reach the fetcher.
  const spelled = ipv4CompatibleInHex(text);
  if (spelled === null || !ipaddr.isValid(spelled)) return null;
  const parsed = ipaddr.parse(spelled);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) return (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed;
}

// ipaddr.js reads `::a.b.c.d` as `::ffff:a.b.c.d`, but it is the IPv4-compatible ::/96 address
// (libuv prints an AAAA record ::808:808 as `::8.8.8.8`), which is not where a.b.c.d lives:
// spell it in hex so it is judged as what is dialled. Null for a non-decimal dotted part.
function ipv4CompatibleInHex(text: string): string | null {
  const m = /^::([^:%]*\.[^:%]*)(%.*)?$/.exec(text);
  if (!m) return text;
  if (!ipaddr.IPv4.isValidFourPartDecimal(m[1])) return null;
  const [a, b, c, d] = ipaddr.IPv4.parse(m[1]).octets;
  return `::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${m[2] ?? ''}`;
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).public;
}
