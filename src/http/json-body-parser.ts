import type { FastifyInstance, FastifyRequest } from 'fastify';
import { cutLongDataUrls, restoreDataUrls } from '../json/cut-data-urls.ts';
import type { VerbatimString } from '../json/verbatim-strings.ts';

// JSON bodies, with Fastify's protection against prototype poisoning kept but made cheap.
// Fastify's parser runs two regular expressions over every body to look for `__proto__` and
// `constructor` keys; over a 1 MB data URL that cost more than the image pipeline. A plain
// substring search does the same triage: only a body that might hold such a key (or a \u
// escape that could spell one) goes through the full check.
//
// Long image data URLs are cut out before parsing and kept as the client's bytes
// (src/json/cut-data-urls.ts): JSON.parse sees a small skeleton, and the upstream request
// reuses those bytes instead of escaping megabytes again.

declare module 'fastify' {
  interface FastifyRequest {
    /** Long data URLs of the body, kept as the client's JSON text (see src/json/verbatim-strings.ts). */
    verbatimStrings: VerbatimString[] | null;
  }
}

type Done = (err: Error | null, body?: unknown) => void;

export function registerJsonBodyParser(app: FastifyInstance): void {
  const secureParser = app.getDefaultJsonParser('error', 'error');
  app.decorateRequest('verbatimStrings', null);

  const parseText = (request: FastifyRequest, text: string, done: Done): void => {
    if (text.length === 0 || text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) {
      void secureParser(request, text, done);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      void secureParser(request, text, done); // the same error Fastify would give
      return;
    }
    done(null, parsed);
  };

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const raw = body as Buffer;
    const cut = cutLongDataUrls(raw);
    if (cut) {
      let skeleton: unknown;
      let failed = false;
      parseText(request, cut.skeleton, (err, value) => {
        failed = err !== null;
        skeleton = value;
      });
      const verbatim = failed ? null : restoreDataUrls(skeleton, cut);
      if (verbatim) {
        request.verbatimStrings = verbatim;
        return done(null, skeleton);
      }
      // Anything unusual: parse the body as it came, so errors name the client's own text.
    }
    parseText(request, raw.toString('utf8'), done);
  });
}
