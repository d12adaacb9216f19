import type { ProviderConfig } from '../../config/providers-config.ts';
import { stringifyClientJson } from '../../json/stringify-client-json.ts';
import { ApiError, invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../openai/types.ts';
import type { CallContext, Provider } from '../provider.ts';
import { checkRequestSize } from '../upstream/check-request-size.ts';
import { createUpstreamClient, eventsOrThrow, type UpstreamCall, type UpstreamTextResponse } from '../upstream/upstream-client.ts';
import { anthropicImageLimits } from './anthropic-image-limits.ts';
import { anthropicStreamToChunks } from './anthropic-stream-to-chunks.ts';
import type { AnthropicResponse } from './anthropic-wire.ts';
import { convertAnthropicResponse } from './convert-anthropic-response.ts';
import { convertToAnthropicRequest, type AnthropicRequestPlan } from './convert-to-anthropic-request.ts';
import { mapAnthropicError } from './map-anthropic-error.ts';
import { mergeChunkStreams, mergeCompletions } from './merge-completions.ts';
import { attributeUpstreamError, withUpstreamRequestId } from '../upstream/attribute-upstream-error.ts';
import { providerSecrets, SecretRedactor } from '../../telemetry/secret-redactor.ts';

// The Anthropic Messages API behind the Provider interface: POST {base_url}/v1/messages.

export type AnthropicProviderConfig = Extract<ProviderConfig, { type: 'anthropic' }>;

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
/** Anthropic has no `n`; Iris makes up to this many calls side by side instead. */
export const ANTHROPIC_MAX_N = 16;
/** The Messages API takes at most 32 MB per request (wire-formats.md §2e). */
export const ANTHROPIC_MAX_REQUEST_BYTES = 32_000_000;

export function createAnthropicProvider(id: string, config: AnthropicProviderConfig): Provider {
  const baseUrl = stripVersion(config.base_url ?? ANTHROPIC_DEFAULT_BASE_URL);
  const client = createUpstreamClient({ baseUrl, timeoutMs: config.timeout_ms, label: `upstream provider '${id}'`, connections: config.max_connections, connectionsSetting: `providers.${id}.max_connections`, secrets: new SecretRedactor(providerSecrets(config)) });
  const headers: Record<string, string> = {
    ...config.headers,
    'anthropic-version': config.anthropic_version,
    ...(config.api_key ? { 'x-api-key': config.api_key } : {}),
  };

  /**
   * The request as Anthropic takes it, serialized once: the n calls of a request with n > 1
   * share the one body text (16 copies of a large prompt would be 16 times its memory).
   */
  function prepare(request: ChatCompletionRequest, stream: boolean): Prepared {
    const plan = convertToAnthropicRequest(request, { defaultMaxTokens: config.default_max_tokens, temperature: config.temperature, stream, apiVersion: config.anthropic_version });
    const body = stringifyClientJson(plan.body);
    checkRequestSize(body, ANTHROPIC_MAX_REQUEST_BYTES, 'Anthropic');
    return { json: plan.json, body };
  }

  const call = (prepared: Prepared, signal: AbortSignal): UpstreamCall => ({ path: '/v1/messages', headers, body: prepared.body, signal });

  const failed = (answer: UpstreamTextResponse): ApiError =>
    withUpstreamRequestId(attributeUpstreamError(id, mapAnthropicError(id, answer.status, answer.text, answer.headers)), answer.headers);

  /** A 2xx answer Iris cannot read: named by provider id, as every upstream failure is. */
  const badResponse = (what: string) =>
    new ApiError(502, `The upstream provider '${id}' ${what}.`, { type: 'upstream_error', code: 'upstream_bad_response' });

  async function completeOnce(p: Prepared, signal: AbortSignal): Promise<ChatCompletion> {
    const answer = await client.postForText(call(p, signal));
    if (answer.status >= 300) throw failed(answer);
    let message: AnthropicResponse;
    try {
      message = JSON.parse(answer.text) as AnthropicResponse;
    } catch {
      throw badResponse('sent a response that is not JSON');
    }
    if (!message || !Array.isArray(message.content)) throw badResponse('sent a response without content');
    return convertAnthropicResponse(message, p.json);
  }

  async function* streamOnce(p: Prepared, signal: AbortSignal): AsyncGenerator<ChatCompletionChunk> {
    const answer = await client.postForEvents(call(p, signal));
    yield* anthropicStreamToChunks(eventsOrThrow(answer, id, failed), p.json);
  }

  return {
    id,
    type: 'anthropic',
    imageLimits: anthropicImageLimits(config),
    // Anthropic's servers fetch public URLs themselves; `fetch_urls: iris` makes Iris inline them.
    fetchUrls: config.fetch_urls ?? 'upstream',
    // One call per choice, each billed for the whole prompt.
    promptReads: (request) => request.n ?? 1,

    async complete(request, ctx: CallContext) {
      const n = choicesWanted(request);
      const p = prepare(request, false);
      if (n === 1) return completeOnce(p, ctx.signal);
      const { signal, abort } = linked(ctx.signal);
      try {
        return mergeCompletions(await Promise.all(Array.from({ length: n }, () => completeOnce(p, signal))));
      } finally {
        abort();
      }
    },

    async *stream(request, ctx: CallContext) {
      const n = choicesWanted(request);
      const p = prepare(request, true);
      if (n === 1) {
        yield* streamOnce(p, ctx.signal);
        return;
      }
      const { signal, abort } = linked(ctx.signal);
      try {
        yield* mergeChunkStreams(Array.from({ length: n }, () => streamOnce(p, signal)));
      } finally {
        abort();
      }
    },

    close: () => client.close(),
  };
}

function choicesWanted(request: ChatCompletionRequest): number {
  const n = request.n ?? 1;
  if (!Number.isInteger(n) || n < 1) throw invalidRequest('n must be a positive integer', 'n');
  if (n > ANTHROPIC_MAX_N) {
    throw invalidRequest(`Anthropic models answer one choice per call; Iris makes at most ${ANTHROPIC_MAX_N} calls for n`, 'n', 'unsupported_value');
  }
  return n;
}

/** A signal that aborts with the caller's, or when the n calls are done with (one failed). */
function linked(parent: AbortSignal): { signal: AbortSignal; abort: () => void } {
  const controller = new AbortController();
  return { signal: AbortSignal.any([parent, controller.signal]), abort: () => controller.abort() };
}

/** The base URL is the bare origin; a trailing /v1 that users copy from docs is dropped. */
function stripVersion(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** A request ready to send: its body text, and how JSON comes back (convert-to-anthropic-request.ts). */
interface Prepared {
  json: AnthropicRequestPlan['json'];
  body: string;
}
