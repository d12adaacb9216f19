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

export function analysisFailed(analysisModel: string, imageNumber: number, param: string, err: unknown): ApiError {
  const timedOut = err instanceof AnalysisTimeoutError;
  return new ApiError(
    502,
    `The analysis model \`${analysisModel}\` could not describe image ${imageNumber} (${param}): ${failureReason(err)}.`,
    { type: 'upstream_error', code: timedOut ? 'analysis_timeout' : 'analysis_failed', param, cause: err },
  );
}
