import type { ImageTokensConfig } from '../config/providers-config.ts';
import type { ChatCompletionRequest } from '../openai/types.ts';
import type { CallContext, ImageFormat, ImageLimits } from '../providers/provider.ts';

// The contract between the chat core and the image ingest pipeline. Every image of a request,
// for any provider, goes through ImagePipeline.prepare before the provider is called.

/** What the request is going to, so each image can be prepared to fit. */
export interface ImageTarget {
  limits: ImageLimits;
  /** Who fetches http(s) URLs: the upstream itself (passed through) or Iris (inlined). */
  fetchUrls: 'upstream' | 'iris';
  /** How image tokens are estimated for this model (resolved defaults by model name when unset). */
  tokens?: ImageTokensConfig;
  upstreamModel: string;
}

export interface PreparedImage {
  /** Where the image sits in the request, e.g. `messages[0].content[1].image_url.url`. */
  param: string;
  messageIndex: number;
  partIndex: number;
  /** Content hash of the original bytes (null when the URL was passed through unfetched). */
  sha256: string | null;
  format: ImageFormat | 'tiff' | 'bmp' | 'avif' | 'heic' | null;
  width: number | null;
  height: number | null;
  /** Estimated prompt tokens for this image under the target's formula. */
  tokens: number;
  /** The bytes as sent on (after any conversion or downscale), when Iris holds them. */
  data: Buffer | null;
  mediaType: string | null;
}

export interface PreparedRequest {
  request: ChatCompletionRequest;
  images: PreparedImage[];
  /** Sum of the images' token estimates. */
  imageTokens: number;
  /** Call when the request is over, to return the images' bytes to the in-flight budget. */
  release(): void;
}

export interface ImagePipeline {
  prepare(request: ChatCompletionRequest, target: ImageTarget, ctx: CallContext): Promise<PreparedRequest>;
}
