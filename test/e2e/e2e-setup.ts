// Shared set-up for the end-to-end tests: a fake OpenAI upstream and an Iris in front of it.

import { startIris, type RunningIris } from '../support/start-iris.ts';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../support/fake-openai-upstream.ts';

export interface Stack {
  iris: RunningIris;
  upstream: FakeOpenAI;
  close(): Promise<void>;
}

export interface StackOptions {
  upstream?: FakeOpenAIOptions;
  /** Extra fields of providers.fake (e.g. timeout_ms, fetch_urls). */
  provider?: Record<string, unknown>;
  /** Extra top-level config (e.g. limits). */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

/**
 * One upstream `fake` and three models on it: `gpt-4o-mini` (same id upstream), `vision`
 * (mapped to the upstream id `gpt-4o`).
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const upstream = await startFakeOpenAI(options.upstream);
  let iris: RunningIris;
  try {
    iris = await startIris(
      {
        // fetch_urls: upstream unless a test says otherwise: image URLs in these tests must
        // never be fetched by Iris (they name no real server; tests talk to loopback only).
        providers: { fake: { type: 'openai', base_url: upstream.url, api_key: 'sk-upstream-secret', fetch_urls: 'upstream', ...options.provider } },
        models: [
          { name: 'gpt-4o-mini', provider: 'fake' },
          { name: 'vision', provider: 'fake', upstream: 'gpt-4o' },
        ],
        ...options.config,
      },
      { env: options.env },
    );
  } catch (err) {
    await upstream.close();
    throw err;
  }
  return {
    iris,
    upstream,
    async close() {
      await iris.close();
      await upstream.close();
    },
  };
}

/** The chat-completions requests the upstream received, in order. */
export function chatRequests(upstream: FakeOpenAI) {
  return upstream.requests.filter((r) => r.path.startsWith('/v1/chat/completions'));
}

/** An image URL on loopback where nothing listens: passed through, never fetched. */
export const IMAGE_URL = 'http://127.0.0.1:9/cat.jpg';
/** A 1×1 PNG. */
export const PNG_DATA_URL =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/** A chat request whose JSON body is about `bytes` long. */
export function bodyOf(bytes: number): string {
  return JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(bytes) }] });
}

/** POST /v1/chat/completions with this JSON text, as a fetch client (the openai SDK's transport) sends it. */
export function postChat(stack: Stack, body: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stack.iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
    body,
    signal,
  });
}
