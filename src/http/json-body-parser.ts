import type { FastifyInstance } from 'fastify';
import { cutLongDataUrls, matchPlaceholders } from '../json/cut-data-urls.ts';
import type { VerbatimString } from '../json/verbatim-strings.ts';

// JSON bodies, with Fastify's protection against prototype poisoning kept but made cheap.
// Fastify's parser runs two regular expressions over every body to look for `__proto__` and
// `constructor` keys; over a 1 MB data URL that cost more than the image pipeline. A plain
// substring search does the same triage: only a body that might hold such a key (or a \u
// escape that could spell one) goes through the full check.
//
// Long image data URLs are cut out before parsing and kept as the client's bytes
// (src/json/cut-data-urls.ts): JSON.parse sees a small skeleton whose placeholders stay in
// the request, the image pipeline checks the bytes, and the upstream request reuses them
// instead of escaping megabytes again.

declare module 'fastify' {
  interface FastifyRequest {
    /** Long data URLs of the body, kept as the client's JSON text (see src/json/verbatim-strings.ts). */
    verbatimStrings: VerbatimString[] | null;
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
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    const cut = cutLongDataUrls(raw);
    if (cut) {
      const skeleton = plainParse(cut.skeleton);
      const verbatim = skeleton && matchPlaceholders(skeleton.value, cut);
      if (skeleton && verbatim) {
        request.verbatimStrings = verbatim;
        return done(null, skeleton.value);
      }
      // Anything unusual: parse the body as it came, so errors name the client's own text.
    }
    const text = raw.toString('utf8');
    const parsed = plainParse(text);
    if (parsed) return done(null, parsed.value);
    void secureParser(request, text, done); // the full check, or the same error Fastify would give
  });
}
