import type { VerbatimString } from '../json/verbatim-strings.ts';
import type { Logger } from 'pino';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from '../openai/types.ts';

// One interface for every upstream dialect (OpenAI-compatible, Anthropic, Gemini, the local
// engine). A provider knows nothing of keys, billing or HTTP clients: it takes an OpenAI-shaped
// request whose `model` is already the upstream id and whose images are prepared for it, and
// answers in OpenAI shapes. Failures are thrown as ApiError (src/openai/api-error.ts).

/** The formats Iris writes when it converts an image. */
export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif';
/** The formats a provider may take: also TIFF, which the local engine reads itself. */
export type AcceptedFormat = ImageFormat | 'tiff';

/** What an upstream accepts for images; the image pipeline prepares each image to fit. */
export interface ImageLimits {
  /** The upstream fetches http(s) URLs itself (otherwise Iris inlines them as data URLs). */
  acceptsUrls: boolean;
  /**
   * URLs of the upstream's own storage, which it reads itself and Iris could not (Gemini's
   * File API): passed on unfetched, whoever fetches other URLs.
   */
  ownUrls?: RegExp;
  formats: AcceptedFormat[];
  /** Decoded bytes per image. */
  maxBytes: number;
  maxPixels?: number;
  /** Longest edge in pixels. */
  maxEdge?: number;
  /** A lower maxEdge for requests with more than `over` images (Anthropic: 2000 px past 20). */
  manyImages?: { over: number; maxEdge: number };
  maxImages?: number;
  /** Animated GIFs: does the upstream take more than one frame? */
  multiFrame?: boolean;
}

export interface CallContext {
  requestId: string;
  /** Aborted when the client goes away or the request times out. */
  signal: AbortSignal;
  log: Logger;
  /**
   * Streams only: a step that holds back the first chunk for a while (analysis mode) calls
   * this so the response may commit to 200 and send SSE keep-alive comments every intervalMs.
   */
  keepAlive?: (intervalMs: number) => void;
  /**
   * Long data URLs of the client's body, as their bytes, indexed by the placeholders that
   * stand for them in the request (src/json/verbatim-strings.ts).
   */
  verbatim?: readonly VerbatimString[];
  /**
   * Takes the request's model and provider once it is routed, then the answer's tokens, for the
   * request's one log line (src/http/request-log.ts): a request that fails still names where it
   * went. Absent (an inner call, such as analysis mode's description), the chat core logs the
   * answer on a line of its own.
   */
  logCompletion?: (fields: CompletionLogFields) => void;
}

/** What the request's log line says about the answer: where it went once routed, its tokens once answered. */
export interface CompletionLogFields {
  model: string;
  provider: string;
  prompt_tokens?: number;
  completion_tokens?: number;
  image_tokens?: number;
}

export interface Provider {
  /** The provider id from config (`providers.<id>`), or `local` for the engine. */
  readonly id: string;
  readonly type: 'openai' | 'anthropic' | 'gemini' | 'local';
  readonly imageLimits: ImageLimits;
  /** Where the upstream can fetch URLs itself, who should: it (`upstream`) or Iris (`iris`). */
  readonly fetchUrls?: 'upstream' | 'iris';
  /**
   * True when the provider takes long data URLs as placeholders and writes the client's bytes
   * (ctx.verbatim) in their place; every other provider is given the URLs as strings.
   */
  readonly writesVerbatim?: boolean;
  /**
   * How many times the upstream reads (and bills) the prompt of this request: more than once for
   * a provider that makes a call per choice (Anthropic has no `n`). Default 1.
   */
  promptReads?(request: ChatCompletionRequest): number;
  complete(request: ChatCompletionRequest, ctx: CallContext): Promise<ChatCompletion>;
  /**
   * Streams OpenAI chunks. Providers always ask their upstream for usage and yield it as a
   * final chunk with empty `choices`; the chat core decides whether the client sees it.
   */
  stream(request: ChatCompletionRequest, ctx: CallContext): AsyncIterable<ChatCompletionChunk>;
  /** False while the provider is still loading (the engine); /health reports it. */
  isReady?(): boolean;
  /** Resolves when ready; requests wait on it. */
  whenReady?(): Promise<void>;
  /** Why the provider could not start (it never will be ready), or null; /health reports it. */
  startFailure?(): string | null;
  close?(): Promise<void>;
}
