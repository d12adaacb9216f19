import type { Logger } from 'pino';
import type { ProviderConfig } from '../../config/providers-config.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../openai/types.ts';
import type { CallContext, Provider } from '../provider.ts';
import { checkRequestSize } from '../upstream/check-request-size.ts';
import { readSseEvents } from '../upstream/read-sse-events.ts';
import { createUpstreamClient, type UpstreamResponse } from '../upstream/upstream-client.ts';
import { convertGeminiResponse } from './convert-gemini-response.ts';
import { convertToGeminiRequest } from './convert-to-gemini-request.ts';
import { geminiImageLimits } from './gemini-image-limits.ts';
import { geminiStreamToChunks } from './gemini-stream-to-chunks.ts';
import type { GeminiResponse } from './gemini-wire.ts';
import { mapGeminiError } from './map-gemini-error.ts';

// The Gemini API behind the Provider interface:
// POST {base_url}/v1beta/models/{model}:generateContent, and :streamGenerateContent?alt=sse.

export type GeminiProviderConfig = Extract<ProviderConfig, { type: 'gemini' }>;

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** "Inline image data limits your total request size … to 20MB" (wire-formats.md §2f). */
export const GEMINI_MAX_REQUEST_BYTES = 20_000_000;

export function createGeminiProvider(id: string, config: GeminiProviderConfig, log?: Logger): Provider {
  const baseUrl = (config.base_url ?? GEMINI_DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v1(beta)?$/, '');
  const client = createUpstreamClient({ baseUrl, timeoutMs: config.timeout_ms, label: `gemini provider "${id}"` });
  const headers: Record<string, string> = { ...config.headers, ...(config.api_key ? { 'x-goog-api-key': config.api_key } : {}) };
  const path = (model: string, stream: boolean) =>
    `/v1beta/models/${encodeURIComponent(model.replace(/^models\//, ''))}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;

  async function send(request: ChatCompletionRequest, signal: AbortSignal, stream: boolean): Promise<UpstreamResponse> {
    const body = JSON.stringify(convertToGeminiRequest(request));
    checkRequestSize(body, GEMINI_MAX_REQUEST_BYTES, 'Gemini');
    const res = await client.post({ path: path(request.model, stream), headers, body, signal, stream });
    if (res.status >= 200 && res.status < 300) return res;
    const text = await client.text(res, signal).catch(() => '');
    const error = mapGeminiError(res.status, text, res.headers);
    log?.warn({ provider: id, status: res.status, mapped: error.status, code: error.code }, 'gemini upstream error');
    throw error;
  }

  return {
    id,
    type: 'gemini',
    imageLimits: geminiImageLimits(config),
    fetchUrls: 'iris',

    async complete(request: ChatCompletionRequest, ctx: CallContext): Promise<ChatCompletion> {
      const res = await send(request, ctx.signal, false);
      const text = await client.text(res, ctx.signal);
      let body: GeminiResponse;
      try {
        body = JSON.parse(text) as GeminiResponse;
      } catch {
        throw new ApiError(502, 'Gemini sent a response that is not JSON', { type: 'upstream_error', code: 'upstream_bad_response' });
      }
      if (!body || typeof body !== 'object' || (!body.candidates?.length && !body.promptFeedback?.blockReason)) {
        throw new ApiError(502, 'Gemini sent a response without candidates', { type: 'upstream_error', code: 'upstream_bad_response' });
      }
      return convertGeminiResponse(body, { model: request.model });
    },

    async *stream(request: ChatCompletionRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
      const res = await send(request, ctx.signal, true);
      yield* geminiStreamToChunks(client.guard(readSseEvents(res.body), ctx.signal), { model: request.model });
    },

    close: () => client.close(),
  };
}
