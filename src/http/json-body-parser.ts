import type { FastifyInstance } from 'fastify';

// JSON bodies, with Fastify's protection against prototype poisoning kept but made cheap.
// Fastify's parser runs two regular expressions over every body to look for `__proto__` and
// `constructor` keys; over a 1 MB data URL that cost more than the image pipeline. A plain
// substring search does the same triage: only a body that might hold such a key (or a \u
// escape that could spell one) goes through the full check.

export function registerJsonBodyParser(app: FastifyInstance): void {
  const secureParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0 || text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')) {
      return secureParser(request, text, done);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return secureParser(request, text, done); // the same error Fastify would give
    }
    done(null, parsed);
  });
}
