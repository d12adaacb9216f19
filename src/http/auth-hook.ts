import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeys } from '../access/api-keys.ts';
import { ApiError } from '../openai/api-error.ts';

// Identifies the caller from `Authorization: Bearer`, `x-api-key` or `x-goog-api-key`.

declare module 'fastify' {
  interface FastifyRequest {
    keyId: string | null;
  }
}

/**
 * The first usable key among the three headers, in that order: a proxy's own `Authorization:
 * Basic …` or an empty header does not hide a key sent in another one.
 */
export function presentedKey(request: FastifyRequest): string | undefined {
  const { authorization, 'x-api-key': apiKey, 'x-goog-api-key': googKey } = request.headers;
  if (authorization) {
    const match = /^Bearer\s+(\S.*)$/i.exec(authorization);
    if (match) return match[1].trim();
    const basic = basicPassword(authorization);
    if (basic) return basic;
  }
  return firstValue(apiKey) || firstValue(googKey) || undefined;
}

/**
 * OpenAI also takes the key as the password of Basic auth with a blank user name (`curl -u
 * :KEY`, a browser's prompt). Basic credentials with a user name are a proxy's, not a key.
 */
function basicPassword(authorization: string): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization);
  if (!match) return undefined;
  const credentials = Buffer.from(match[1], 'base64').toString('utf8');
  return credentials.startsWith(':') && credentials.length > 1 ? credentials.slice(1) : undefined;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

export function createAuthHook(keys: ApiKeys) {
  // Callback-style: an async hook costs a promise and a microtask on every request.
  return function authenticate(request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void {
    const key = presentedKey(request);
    if (!key) {
      // A key pasted without its "Bearer " is still a key sent: say what form it must take.
      const said = request.headers.authorization ? 'The Authorization header holds no Bearer key.' : "You didn't provide an API key.";
      done(
        new ApiError(401, `${said} Send it as 'Authorization: Bearer YOUR_KEY' (or in an 'x-api-key' header).`, {
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        }),
      );
      return;
    }
    const id = keys.verify(key);
    if (!id) {
      done(new ApiError(401, `Incorrect API key provided: ${maskKey(key)}.`, { type: 'invalid_request_error', code: 'invalid_api_key' }));
      return;
    }
    request.keyId = id;
    done();
  };
}

/**
 * Shows enough of a wrong key for its owner to recognise it, never much of it: a near miss of a
 * short key must not give most of the key away. Four characters at each end of a long key (as
 * OpenAI shows), two of a shorter one, none of a short one.
 */
export function maskKey(key: string): string {
  const shown = key.length >= 20 ? 4 : key.length >= 12 ? 2 : 0;
  return shown ? `${key.slice(0, shown)}****${key.slice(-shown)}` : '****';
}
