import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { formatBytes } from '../format-bytes.ts';
import { classifyAddress } from './address-policy.ts';
import { freshnessMs } from './cache-control.ts';
import { createHostRules, normalizeHost, type HostRules } from './host-rules.ts';
import { redactUrl } from './redact-url.ts';

// Fetches user-supplied image URLs without letting them reach Iris's own network. The
// address check runs inside undici's connect step on the address actually dialled, so a
// name that resolves to a public address at check time and to 127.0.0.1 at connect time
// (DNS rebinding) cannot slip through. Every redirect is a fresh request through the same
// check, and never from https down to http. Size is capped while streaming, the whole fetch
// has one deadline, and bodies come uncompressed or not at all.

export interface GuardedFetchOptions {
  allowHosts: readonly string[];
  denyHosts: readonly string[];
  maxBytes: number;
  timeoutMs: number;
  maxRedirects: number;
  userAgent: string;
  /** Freshness for responses without Cache-Control or Expires. */
  defaultTtlMs?: number;
  /** Tests: resolve names differently. */
  resolve?: (host: string) => Promise<string[]>;
}

export type FetchFailure =
  | 'invalid_url'
  | 'refused'
  | 'too_large'
  | 'http_status'
  | 'timeout'
  | 'network'
  | 'too_many_redirects'
  | 'unsupported_encoding'
  | 'aborted';

/** Messages are safe to show to clients: no query strings, no resolved addresses. */
export class ImageFetchError extends Error {
  readonly kind: FetchFailure;
  readonly status: number | null;
  constructor(kind: FetchFailure, message: string, status: number | null = null) {
    super(message);
    this.name = 'ImageFetchError';
    this.kind = kind;
    this.status = status;
  }
}

export interface FetchedImage {
  bytes: Buffer;
  /** How long the response may be reused (0: do not cache). */
  ttlMs: number;
  /** Where the bytes came from after redirects, redacted. */
  finalUrl: string;
  /** The media type the server declared (no parameters), for messages only: bytes are sniffed. */
  contentType: string | null;
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Called before holding more bytes; may wait or throw (the in-flight memory budget). */
  reserve?: (bytes: number) => Promise<void>;
}

export interface GuardedFetcher {
  fetch(url: string, options?: FetchOptions): Promise<FetchedImage>;
  close(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RESERVE_STEP = 1 << 20;

/** Thrown inside the connector; carried out through undici's error as the cause. */
class RefusedConnection extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RefusedConnection';
  }
}

export function createGuardedFetcher(options: GuardedFetchOptions): GuardedFetcher {
  const rules = createHostRules(options.allowHosts, options.denyHosts);
  const resolve = options.resolve ?? defaultResolve;
  const agent = new Agent({
    connect: guardedConnector(rules, resolve, options.timeoutMs),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connections: 64,
  });

  async function fetchImage(input: string, fetchOptions: FetchOptions = {}): Promise<FetchedImage> {
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = fetchOptions.signal ? AbortSignal.any([deadline, fetchOptions.signal]) : deadline;
    let url = parseFetchUrl(input);
    for (let hop = 0; ; hop++) {
      checkHostLists(rules, url);
      let response;
      try {
        response = await request(url, {
          method: 'GET',
          dispatcher: agent,
          signal,
          // identity: without it any content coding is acceptable (RFC 9110 §12.5.3).
          headers: { 'user-agent': options.userAgent, accept: 'image/*,*/*;q=0.5', 'accept-encoding': 'identity' },
        });
      } catch (err) {
        throw translateError(err, url, deadline, options.timeoutMs);
      }
      const { statusCode, headers, body } = response;
      if (REDIRECTS.has(statusCode)) {
        await body.dump().catch(() => {});
        const location = headerValue(headers.location);
        if (!location) throw new ImageFetchError('http_status', `The image server at ${redactUrl(url)} answered ${statusCode} without a Location.`, statusCode);
        if (hop >= options.maxRedirects) {
          throw new ImageFetchError('too_many_redirects', `Fetching the image at ${redactUrl(input)} was redirected more than ${options.maxRedirects} times.`);
        }
        url = parseFetchUrl(location, url);
        continue;
      }
      if (statusCode < 200 || statusCode > 299) {
        await body.dump().catch(() => {});
        throw new ImageFetchError('http_status', `The image server at ${redactUrl(url)} answered ${statusCode}.`, statusCode);
      }
      // Compressed anyway: refused, not inflated (no decompression bomb to guard against).
      const encoding = contentCodings(headers['content-encoding']).join(', ');
      if (encoding) {
        discard(body);
        throw new ImageFetchError('unsupported_encoding', `The image server at ${redactUrl(url)} sent the image compressed (${encoding.slice(0, 20)}); Iris takes images without a Content-Encoding.`);
      }
      const declared = Number(headerValue(headers['content-length']) ?? NaN);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        discard(body);
        throw tooLarge(url, options.maxBytes);
      }
      const bytes = await readCapped(body, url, signal, deadline, Number.isFinite(declared) ? declared : null, fetchOptions.reserve);
      const ttlMs = freshnessMs(headers as Record<string, string>, options.defaultTtlMs ?? 300_000);
      const contentType = headerValue(headers['content-type'])?.split(';')[0].trim().toLowerCase() || null;
      return { bytes, ttlMs, finalUrl: redactUrl(url), contentType };
    }
  }

  async function readCapped(
    body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown; on(event: 'error', fn: () => void): unknown },
    url: URL,
    signal: AbortSignal,
    deadline: AbortSignal,
    declared: number | null,
    reserve: FetchOptions['reserve'],
  ): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let received = 0;
    let reserved = 0;
    // Errors of our own (cap, budget) pass through untouched; the stream's are translated.
    let ours: unknown = null;
    try {
      if (reserve && declared !== null) {
        await reserve(declared).catch((err) => { throw (ours = err); });
        reserved = declared;
      }
      for await (const chunk of body) {
        received += chunk.length;
        if (received > options.maxBytes) throw (ours = tooLarge(url, options.maxBytes));
        if (reserve && received > reserved) {
          const more = Math.min(Math.max(RESERVE_STEP, received - reserved), options.maxBytes - reserved);
          await reserve(more).catch((err) => { throw (ours = err); });
          reserved += more;
        }
        chunks.push(chunk);
      }
    } catch (err) {
      discard(body);
      if (err === ours) throw err;
      throw translateError(err, url, deadline, options.timeoutMs, signal, true);
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
  }

  return { fetch: fetchImage, close: () => agent.close() };
}

/** Parses and checks a URL to fetch (a redirect's Location with `base`): http(s) only, no credentials, no https → http. */
export function parseFetchUrl(input: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(input, base);
  } catch {
    throw new ImageFetchError('invalid_url', 'The image URL is not a valid URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImageFetchError('invalid_url', `Image URLs must use http or https, not ${url.protocol.replace(/:$/, '')}.`);
  }
  if (url.username || url.password) {
    throw new ImageFetchError('invalid_url', 'Image URLs must not carry credentials.');
  }
  // A client that asked for https asked for the image unaltered in transit.
  if (base?.protocol === 'https:' && url.protocol === 'http:') {
    throw new ImageFetchError('refused', `The image server at ${redactUrl(base)} redirected to plain http; Iris only follows https redirects from https.`);
  }
  return url;
}

function checkHostLists(rules: HostRules, url: URL): void {
  if (rules.isDenied(url.hostname, portOf(url))) {
    throw new ImageFetchError('refused', 'The image URL points to a host Iris may not fetch from.');
  }
}

function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

async function defaultResolve(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

type ConnectOptions = Parameters<ReturnType<typeof buildConnector>>[0];
type ConnectCallback = Parameters<ReturnType<typeof buildConnector>>[1];

/**
 * Resolves the host itself, refuses non-public addresses unless the host (or host:port) is
 * allow-listed, and dials the checked address. SNI and certificate checks still use the
 * name (undici derives servername from `host`, which is left as it was).
 */
function guardedConnector(rules: HostRules, resolve: (host: string) => Promise<string[]>, timeoutMs: number) {
  const base = buildConnector({ timeout: timeoutMs });
  return (opts: ConnectOptions, callback: ConnectCallback): void => {
    const host = normalizeHost(opts.hostname);
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    pickAddress(rules, resolve, host, port).then(
      (address) => base({ ...opts, hostname: address }, callback),
      (err: Error) => callback(err, null),
    );
  };
}

const NOT_PUBLIC = 'address is not public';

async function pickAddress(rules: HostRules, resolve: (host: string) => Promise<string[]>, host: string, port: number): Promise<string> {
  if (rules.isDenied(host, port)) throw new RefusedConnection('host is deny-listed');
  // `http://./` leaves no name to look up (and lookup('') would warn, not fail).
  const addresses = isIP(host) ? [host] : host ? await resolve(host) : [];
  if (addresses.length === 0) throw new RefusedConnection('host has no address');
  // A denied IP stays denied under a DNS name or another spelling of it, even allow-listed.
  if (addresses.some((a) => rules.isDenied(a, port))) throw new RefusedConnection('address is deny-listed');
  if (rules.isAllowed(host, port)) return addresses[0];
  // Every address must be public: a name that mixes public and private answers is refused.
  if (!addresses.every((a) => classifyAddress(a).public)) throw new RefusedConnection(NOT_PUBLIC);
  return addresses[0];
}

function translateError(err: unknown, url: URL, deadline: AbortSignal, timeoutMs: number, signal?: AbortSignal, inBody = false): ImageFetchError {
  const refused = findCause(err, (e) => e instanceof RefusedConnection);
  if (refused) {
    // Deliberately vague: neither the resolved address nor the query string goes back. A private
    // address is what a newcomer's local image server has: the setting that allows it is named.
    const allowable = (refused as Error).message === NOT_PUBLIC;
    return new ImageFetchError(
      'refused',
      `The image URL points to an address Iris may not fetch from (not a public address)${allowable ? "; a host on a private network can be allowed in Iris's config (images.fetch.allow_hosts)" : ''}.`,
    );
  }
  const where = redactUrl(url);
  if (deadline.aborted || findCause(err, (e) => /Timeout/i.test((e as Error).name ?? '') || /TIMEOUT/.test(String((e as { code?: string }).code)))) {
    return new ImageFetchError('timeout', `Fetching the image at ${where} timed out after ${Math.round(timeoutMs / 100) / 10} s.`);
  }
  if (signal?.aborted || findCause(err, (e) => (e as Error).name === 'AbortError')) {
    return new ImageFetchError('aborted', `Fetching the image at ${where} was cancelled.`);
  }
  const dns = findCause(err, (e) => ['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'].includes(String((e as { code?: string }).code)));
  if (dns) return new ImageFetchError('network', `Could not resolve the image URL's host ${normalizeHost(url.hostname)}.`);
  const code = (findCause(err, (e) => typeof (e as { code?: unknown }).code === 'string') as { code?: string } | null)?.code;
  if (inBody) return new ImageFetchError('network', `The image server at ${where} closed the connection before the whole image arrived${code ? ` (${code})` : ''}.`);
  return new ImageFetchError('network', `Could not fetch the image at ${where}${code ? ` (${code})` : ''}.`);
}

function findCause(err: unknown, test: (e: object) => boolean): object | null {
  let current: unknown = err;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    if (test(current)) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

function tooLarge(url: URL, maxBytes: number): ImageFetchError {
  return new ImageFetchError('too_large', `The image at ${redactUrl(url)} is larger than ${formatBytes(maxBytes)}.`);
}

function discard(body: { destroy(err?: Error): unknown; on(event: 'error', fn: () => void): unknown }): void {
  body.on('error', () => {});
  body.destroy();
}

/** Every coding of every Content-Encoding header (`identity` then `gzip` is still gzip). */
function contentCodings(value: string | string[] | undefined): string[] {
  return [value ?? []].flat().flatMap((v) => v.split(',')).map((c) => c.trim().toLowerCase()).filter((c) => c && c !== 'identity');
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
