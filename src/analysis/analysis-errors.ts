import { ApiError } from '../openai/api-error.ts';
import { AnalysisTimeoutError } from './describe-image.ts';

// The errors analysis mode answers with, worded so the client knows what to do.

export function notVisionCapable(model: string, param: string): ApiError {
  return new ApiError(
    400,
    `The model \`${model}\` cannot take images. Use \`${model}-ocr\` to have each image described by a vision model first, or choose a vision model.`,
    { type: 'invalid_request_error', code: 'model_not_vision_capable', param },
  );
}

export function analysisUnavailable(analysisModel: string): ApiError {
  return new ApiError(
    503,
    `Analysis mode needs the vision model \`${analysisModel}\`, which is not available: set analysis.model to a configured vision model or enable the engine.`,
    { type: 'server_error', code: 'analysis_unavailable' },
  );
}

/** Why one image could not be described, short enough for a note or an error message. */
export function failureReason(err: unknown): string {
  if (err instanceof AnalysisTimeoutError) return err.message;
  if (err instanceof ApiError) return err.message;
  return 'the analysis model failed';
}

/**
 * One image could not be described, under `on_error: fail`. What the client can act on keeps
 * its status, as any upstream error does: a 4xx (its image refused) is not retried, a 429 or
 * 503 keeps its Retry-After, a timeout is a 504; anything else is the analysis model's failure, a 502.
 */
export function analysisFailed(analysisModel: string, imageNumber: number, param: string, err: unknown): ApiError {
  const message = `The analysis model \`${analysisModel}\` could not describe image ${imageNumber} (${param}): ${failureReason(err).replace(/\.+$/, '')}.`;
  if (err instanceof AnalysisTimeoutError) return new ApiError(504, message, { type: 'timeout_error', code: 'analysis_timeout', param, cause: err });
  if (err instanceof ApiError && (err.status < 500 || err.status === 503 || err.status === 504)) {
    return new ApiError(err.status, message, { type: err.type, code: err.code ?? 'analysis_failed', param, headers: err.headers, cause: err });
  }
  return new ApiError(502, message, { type: 'upstream_error', code: 'analysis_failed', param, cause: err });
}
