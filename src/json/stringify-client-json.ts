import { ApiError } from '../openai/api-error.ts';

// JSON text of a value built from the client's request. JSON.parse takes any depth, but
// JSON.stringify recurses: a value nested thousands of levels deep overflows V8's stack. That is
// the client's doing, so it is a 400; any other failure keeps its own meaning.

export function stringifyClientJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (err instanceof RangeError && err.message === 'Maximum call stack size exceeded') {
      throw new ApiError(400, 'The request is nested too deeply.', { type: 'invalid_request_error', code: 'nested_too_deeply', cause: err });
    }
    throw err;
  }
}
