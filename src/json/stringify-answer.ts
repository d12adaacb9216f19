import { ApiError } from '../openai/api-error.ts';
import { isStackOverflow } from './stringify-client-json.ts';

// JSON text of an answer (a completion, a chunk). Iris passes on what an upstream sent beside
// the fields it knows, and JSON.stringify recurses: a field nested thousands of levels deep,
// which JSON.parse took, overflows V8's stack here. That is the upstream's answer, unreadable
// to Iris: a 502, as any other, not a 500.

export function stringifyAnswer(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (err) {
    if (isStackOverflow(err)) {
      throw new ApiError(502, 'The upstream sent an answer nested too deeply to pass on.', { type: 'upstream_error', code: 'upstream_bad_response', cause: err });
    }
    throw err;
  }
}
