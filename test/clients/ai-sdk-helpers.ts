// What the two AI SDK client tests share: quiet warnings, and the APICallError a failing call gives.

import assert from 'node:assert/strict';
import { APICallError } from 'ai';

// The SDK prints a warning for every option a provider ignores; the tests check behaviour instead.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

/** The OpenAI error body Iris answered, as APICallError.data holds it. */
export type ErrorData = { error: { message: string; type: string; param: string | null; code: string | null } };

/** The APICallError a call rejects with (the test fails if it resolves or throws anything else). */
export async function apiCallError(call: () => Promise<unknown>): Promise<APICallError> {
  try {
    await call();
  } catch (err) {
    assert.ok(APICallError.isInstance(err), `expected an APICallError, got ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded');
}
