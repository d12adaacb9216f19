import { ApiError } from '../openai/api-error.ts';

// JSON text of a value built from the client's request. JSON.parse takes any depth, but
// JSON.stringify recurses: a value nested thousands of levels deep overflows V8's stack. That is
// the client's doing, so it is a 400; any other failure keeps its own meaning.

export function stringifyClientJson(value: unknown): string {
  return fromClientJson(() => JSON.stringify(value));
}

/**
 * Runs work that walks a value from the client's request (a schema converted, checked or
 * compiled): a stack overflow there is the client's nesting, a 400, not Iris's failure.
 */
export function fromClientJson<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    if (isStackOverflow(err)) {
      throw new ApiError(400, 'The request is nested too deeply.', { type: 'invalid_request_error', code: 'nested_too_deeply', cause: err });
    }
    throw err;
  }
}

/** V8's error for recursion past its stack: what deep nesting does to JSON.stringify and to tree walks. */
export function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && err.message === 'Maximum call stack size exceeded';
}
