import { ApiError } from '../../openai/api-error.ts';

// Upstreams cap a whole request (Gemini 20 MB inline, Anthropic 32 MB) besides each image.
// Per-image limits cannot see the sum, so the serialized body is measured before it is sent:
// a clear 413 from Iris beats an opaque upstream rejection after uploading it all.

export function checkRequestSize(body: string, maxBytes: number, upstream: string): void {
  const size = Buffer.byteLength(body);
  if (size <= maxBytes) return;
  const mb = (n: number) => (n / 1_000_000).toFixed(1);
  throw new ApiError(413, `The request is ${mb(size)} MB once encoded for ${upstream}, which takes at most ${mb(maxBytes)} MB (images included). Send fewer or smaller images.`, {
    type: 'invalid_request_error',
    code: 'request_too_large',
  });
}
