import { ApiError } from '../openai/api-error.ts';
import type { ChatCompletion, ChatCompletionRequest, ImageDetail } from '../openai/types.ts';
import type { CallContext } from '../providers/provider.ts';
import { waitOrAbort } from '../wait-or-abort.ts';

// One image, one call to the analysis model, bounded by a timeout. The call goes through
// the chat core like any request, so the image is prepared for the analysis model's provider.

export type CompleteFn = (request: ChatCompletionRequest, ctx: CallContext) => Promise<ChatCompletion>;

export interface Description {
  text: string;
  prompt_tokens: number;
  completion_tokens: number;
  image_tokens: number;
}

export class AnalysisTimeoutError extends Error {
  override name = 'AnalysisTimeoutError';
}

/** An answer with no description in it, paid for all the same: `spent` is what it cost. */
export class EmptyDescriptionError extends ApiError {
  readonly spent: Omit<Description, 'text'>;

  constructor(spent: Omit<Description, 'text'>) {
    super(502, 'the analysis model returned an empty description', { type: 'upstream_error' });
    this.spent = spent;
  }
}

export async function describeImage(
  complete: CompleteFn,
  input: { model: string; prompt: string; url: string; detail?: ImageDetail; timeoutMs: number },
  ctx: CallContext,
): Promise<Description> {
  const request: ChatCompletionRequest = {
    model: input.model,
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: input.prompt },
          { type: 'image_url', image_url: input.detail ? { url: input.url, detail: input.detail } : { url: input.url } },
        ],
      },
    ],
  };
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new AnalysisTimeoutError(`timed out after ${input.timeoutMs} ms`)), input.timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout.signal]);
  try {
    // Raced as well as signalled: a provider that ignores its signal must not hold the request.
    // Its own log line: the request's line is the answer's.
    const completion = await waitOrAbort(complete(request, { ...ctx, signal, logCompletion: undefined }), signal);
    const text = completion.choices[0]?.message.content ?? '';
    const usage = completion.usage;
    const spent = {
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
      image_tokens: usage?.prompt_tokens_details?.image_tokens ?? 0,
    };
    if (!text.trim()) throw new EmptyDescriptionError(spent);
    return { text, ...spent };
  } catch (err) {
    // Our own timeout may surface as the provider's abort error; report it as the timeout it is.
    if (timeout.signal.aborted && !ctx.signal.aborted) throw timeout.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}
