import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { cutLongDataUrls, matchPlaceholders } from '../json/cut-data-urls.ts';
import { RawBody } from '../json/raw-body.ts';
import type { VerbatimString } from '../json/verbatim-strings.ts';
import { freeBuffer } from '../memory/free-buffer.ts';
import { ApiError, invalidRequest } from '../openai/api-error.ts';
import { readBody } from './read-body.ts';

// JSON bodies, with Fastify's protection against prototype poisoning kept but made cheap.
// Fastify's parser runs two regular expressions over every body to look for `__proto__` and
// `constructor` keys; over a 1 MB data URL that cost more than the image pipeline. A plain
// substring search does the same triage: only a body that might hold such a key (or a \u
// escape that could spell one) goes through the full check.
//
// Long image data URLs are cut out before parsing and kept as the client's bytes
// (src/json/cut-data-urls.ts): JSON.parse sees a small skeleton whose placeholders stay in
// the request, the image pipeline checks the bytes, and the upstream request reuses them
// instead of escaping megabytes again. The body is then kept (src/json/raw-body.ts) until the
// response is closed and every upstream write of it has settled; a body that is not kept is
// freed once parsed.

declare module 'fastify' {
  interface FastifyRequest {
    /** Long data URLs of the body, kept as the client's JSON text (see src/json/verbatim-strings.ts). */
    verbatimStrings: VerbatimString[] | null;
    /** The body the verbatim strings are views of; the route releases it when the response is closed. */
    rawBody: RawBody | null;
  }
}

/** JSON.parse for text that cannot hold a poisoning key; null when it might, or does not parse. */
function plainParse(text: string): { value: unknown } | null {
  if (text.length === 0 || text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) return null;
  try {
    return { value: JSON.parse(text) };
  } catch {
    return null;
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  const secureParser = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest('verbatimStrings', null);
  app.decorateRequest('rawBody', null);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (request, payload, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding && encoding.toLowerCase() !== 'identity') return done(unsupportedEncoding(encoding), undefined);
    readBody(payload, Number(request.headers['content-length']), request.routeOptions.bodyLimit, (err, raw) => {
      if (err || !raw) return done(err ?? null, undefined);
      // JSON is UTF-8 (RFC 8259). Decoding other bytes would replace them with U+FFFD and send
      // the upstream text the client never wrote; OpenAI refuses such a body. The check is a
      // SIMD scan that allocates nothing (tens of nanoseconds for a small body). Cut data URLs
      // are left to the image pipeline's base64 decoder, whose error names the image.
      const cut = cutLongDataUrls(raw);
      if (!(cut ? isUtf8Outside(raw, cut.spans) : isUtf8(raw))) return done(notUtf8(raw), undefined);
      if (cut) {
        const skeleton = plainParse(cut.skeleton);
        const body = new RawBody(raw);
        const verbatim = skeleton && matchPlaceholders(skeleton.value, cut, body);
        if (skeleton && verbatim) {
          request.verbatimStrings = verbatim;
          request.rawBody = body;
          return done(null, skeleton.value);
        }
        // Anything unusual: parse the body as it came, so errors name the client's own text.
        if (!isUtf8(raw)) return done(notUtf8(raw), undefined);
      }
      const text = raw.toString('utf8');
      freeBuffer(raw);
      const parsed = plainParse(text);
      if (parsed) return done(null, parsed.value);
      // The full check, or the same error Fastify would give; but valid JSON that it refuses
      // holds a poisoning key, and the client is told so rather than that its JSON is invalid.
      void secureParser(request, text, (err, value) => done(err && isJson(text) ? forbiddenKey() : err, value));
    }, request.bodyCharge?.add);
  });
  // Fastify parses text/plain as a string, which is no request: answer 415 like any other type.
  app.removeContentTypeParser('text/plain');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A compressed body would read as JSON that does not parse; say what is wrong instead. Iris does
 * not inflate bodies: the limits count the bytes that arrive, and a small gzip can inflate to
 * gigabytes.
 */
function unsupportedEncoding(encoding: string): ApiError {
  return new ApiError(415, `Content-Encoding '${encoding.slice(0, 40)}' is not supported: send the request body uncompressed.`, {
    type: 'invalid_request_error',
    code: 'unsupported_content_encoding',
  });
}

/** True when the bytes outside the cut spans (their quotes included) are UTF-8. */
function isUtf8Outside(raw: Buffer, spans: readonly { start: number; end: number }[]): boolean {
  let at = 0;
  for (const span of spans) {
    if (!isUtf8(raw.subarray(at, span.start))) return false;
    at = span.end + 1;
  }
  return isUtf8(raw.subarray(at));
}

/** The refusal of a body that is not UTF-8; frees the body. */
function notUtf8(raw: Buffer): ApiError {
  freeBuffer(raw);
  return new ApiError(400, 'We could not parse the JSON body of your request: it is not valid UTF-8.', { type: 'invalid_request_error', code: 'invalid_json' });
}

function forbiddenKey(): ApiError {
  return invalidRequest("The request body holds a '__proto__' or 'constructor.prototype' key, which is not allowed.");
}
