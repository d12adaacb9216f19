import type { ProviderConfig } from '../../config/providers-config.ts';
import { fromClientJson } from '../../json/stringify-client-json.ts';
import { ApiError } from '../../openai/api-error.ts';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../../openai/types.ts';
import type { CallContext, Provider } from '../provider.ts';
import { checkRequestSize } from '../upstream/check-request-size.ts';
import { createUpstreamClient, eventsOrThrow, type UpstreamCall, type UpstreamTextResponse } from '../upstream/upstream-client.ts';
import { convertGeminiResponse } from './convert-gemini-response.ts';
import { convertToGeminiRequest } from './convert-to-gemini-request.ts';
import { geminiImageLimits } from './gemini-image-limits.ts';
import { geminiStreamToChunks } from './gemini-stream-to-chunks.ts';
import type { GeminiResponse } from './gemini-wire.ts';
import { mapGeminiError } from './map-gemini-error.ts';
import { attributeUpstreamError, withUpstreamRequestId } from '../upstream/attribute-upstream-error.ts';
import { providerSecrets, SecretRedactor } from '../../telemetry/secret-redactor.ts';

// The Gemini API behind the Provider interface:
// POST {base_url}/v1beta/models/{model}:generateContent, and :streamGenerateContent?alt=sse.

export type GeminiProviderConfig = Extract<ProviderConfig, { type: 'gemini' }>;

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';
/** "Inline image data limits your total request size … to 20MB" (wire-formats.md §2f). */
export const GEMINI_MAX_REQUEST_BYTES = 20_000_000;

export function createGeminiProvider(id: string, config: GeminiProviderConfig): Provider {
  const baseUrl = (config.base_url ?? GEMINI_DEFAULT_BASE_URL).replace(/\/+$/, '').replace(/\/v1(beta)?$/, '');
  const client = createUpstreamClient({ baseUrl, timeoutMs: config.timeout_ms, label: `upstream provider '${id}'`, connections: config.max_connections, connectionsSetting: `providers.${id}.max_connections`, secrets: new SecretRedactor(providerSecrets(config)) });
  const headers: Record<string, string> = { ...config.headers, ...(config.api_key ? { 'x-goog-api-key': config.api_key } : {}) };
  const path = (model: string, stream: boolean) =>
    `/v1beta/models/${encodeURIComponent(model.replace(/^models\//, ''))}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;

  function call(request: ChatCompletionRequest, signal: AbortSignal, stream: boolean): UpstreamCall {
    // The conversion walks the client's schemas: their nesting is the client's (a 400).
    const body = fromClientJson(() => JSON.stringify(convertToGeminiRequest(request)));
    checkRequestSize(body, GEMINI_MAX_REQUEST_BYTES, 'Gemini');
    return { path: path(request.model, stream), headers, body, signal };
  }

  const failed = (answer: UpstreamTextResponse): ApiError =>
    withUpstreamRequestId(attributeUpstreamError(id, mapGeminiError(id, answer.status, answer.text, answer.headers)), answer.headers);

  /** A 2xx answer Iris cannot read: named by provider id, as every upstream failure is. */
  const badResponse = (what: string) =>
    new ApiError(502, `The upstream provider '${id}' ${what}.`, { type: 'upstream_error', code: 'upstream_bad_response' });

  return {
    id,
    type: 'gemini',
    imageLimits: geminiImageLimits(config),
    fetchUrls: 'iris',

    async complete(request: ChatCompletionRequest, ctx: CallContext): Promise<ChatCompletion> {
      const answer = await client.postForText(call(request, ctx.signal, false));
      if (answer.status >= 300) throw failed(answer);
      let body: GeminiResponse;
      try {
        body = JSON.parse(answer.text) as GeminiResponse;
      } catch {
        throw badResponse('sent a response that is not JSON');
      }
      if (!body || typeof body !== 'object' || (!body.candidates?.length && !body.promptFeedback?.blockReason)) {
        throw badResponse('sent a response without candidates');
      }
      try {
        return convertGeminiResponse(body, { model: request.model, oneToolCall: request.parallel_tool_calls === false });
      } catch (err) {
        // A candidate whose function call failed: named by provider id, as a failed stream is.
        throw err instanceof ApiError ? attributeUpstreamError(id, err) : err;
      }
    },

    async *stream(request: ChatCompletionRequest, ctx: CallContext): AsyncGenerator<ChatCompletionChunk> {
      const answer = await client.postForEvents(call(request, ctx.signal, true));
      yield* geminiStreamToChunks(eventsOrThrow(answer, id, failed), { model: request.model, oneToolCall: request.parallel_tool_calls === false });
    },

    close: () => client.close(),
  };
}
