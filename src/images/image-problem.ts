import { ApiError } from '../openai/api-error.ts';

// What can be wrong with one image. Lower layers throw ImageProblem without knowing where
// the image sits; the pipeline turns it into a 400 whose `param` points at the image.

export type ImageProblemCode =
  | 'invalid_image'
  | 'invalid_image_url'
  | 'invalid_base64_image'
  | 'image_too_large'
  | 'image_fetch_failed'
  | 'unsupported_image_media_type';

export class ImageProblem extends Error {
  readonly code: ImageProblemCode;
  constructor(code: ImageProblemCode, message: string) {
    super(message);
    this.name = 'ImageProblem';
    this.code = code;
  }

  toApiError(param: string): ApiError {
    return new ApiError(400, this.message, { type: 'invalid_request_error', code: this.code, param });
  }
}
