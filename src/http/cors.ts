import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

// Lets scripts on web pages call Iris, as they may call OpenAI's API (the SDKs'
// `dangerouslyAllowBrowser`): preflights answered without a key, and the headers a client
// reads (request id; Retry-After, retry-after-ms and x-should-retry, from which the SDKs decide
// whether and when to retry) exposed to it. No cookies are involved, so no credentials
// mode; no Access-Control-Allow-Private-Network either, so a public site cannot reach an Iris
// on a private network through a visitor's browser (Chrome's Private Network Access).

/** The headers Iris sends that a browser client needs to read. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after', 'retry-after-ms', 'x-should-retry'];

/** The origins allowed when the config names none: any with auth on, none with it off. */
export function corsOrigins(configured: string[] | undefined, authEnabled: boolean): string[] {
  return configured ?? (authEnabled ? ['*'] : []);
}

export function registerCors(app: FastifyInstance, origins: string[]): void {
  if (origins.length === 0) return;
  void app.register(cors, {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'POST'],
    // allowedHeaders unset: the preflight's own list is allowed back (the SDKs send their
    // x-stainless-* headers).
    // As one string: the plugin joins an array anew on every request.
    exposedHeaders: EXPOSED_HEADERS.join(', '),
    // Browsers cap this (Chrome at 2 h); a day spares a preflight before most requests.
    maxAge: 86_400,
    // An OPTIONS without Origin or Access-Control-Request-Method (curl, a monitor) would get a
    // text/plain 400 "Invalid Preflight Request", no OpenAI error: answer it as a preflight.
    strictPreflight: false,
  });
}
