import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { attributeStreamFailure } from './attribute-upstream-error.ts';
import { eventsOrThrow } from './upstream-client.ts';

const ant = { id: 'ant', type: 'anthropic' };
const live = new AbortController().signal;

test("an upstream's mid-stream error names the provider, keeping status, type and code", () => {
  const overloaded = new ApiError(503, 'Overloaded', { type: 'overloaded_error', code: 'overloaded_error' });
  const named = attributeStreamFailure(ant, overloaded, live) as ApiError;
  assert.equal(named.message, "The upstream provider 'ant' is overloaded: Overloaded");
  assert.deepEqual([named.status, named.type, named.code], [503, 'overloaded_error', 'overloaded_error']);
  // Once is enough, and a client's mistake is left as it is.
  assert.equal(attributeStreamFailure(ant, named, live), named);
  const invalid = new ApiError(400, 'prompt is too long');
  assert.equal(attributeStreamFailure(ant, invalid, live), invalid);
});

test("Iris's own reasons for ending a stream, transport failures and the engine's errors pass as they are", () => {
  const stopping = new AbortController();
  const shuttingDown = new ApiError(503, 'Iris is shutting down', { type: 'server_error', code: 'server_shutting_down' });
  stopping.abort(shuttingDown);
  assert.equal(attributeStreamFailure(ant, shuttingDown, stopping.signal), shuttingDown);
  const timeout = new ApiError(504, "The upstream provider 'ant' did not answer within 1000 ms", { type: 'timeout_error', cause: new Error('idle') });
  assert.equal(attributeStreamFailure(ant, timeout, live), timeout);
  const busy = new ApiError(503, 'The engine is busy');
  assert.equal(attributeStreamFailure({ id: 'local', type: 'local' }, busy, live), busy);
  const bug = new TypeError('x is undefined');
  assert.equal(attributeStreamFailure(ant, bug, live), bug);
});

test('a 2xx answer to a stream request that is not a stream names the provider once', () => {
  const json = { status: 200, headers: {}, text: '{"id":"msg_1"}' };
  const thrown = (() => {
    try {
      eventsOrThrow(json, 'ant', () => assert.fail('not an error status'));
    } catch (err) {
      return err;
    }
    return assert.fail('no error');
  })();
  const heard = attributeStreamFailure(ant, thrown, live) as ApiError;
  assert.equal(heard.message, "The upstream provider 'ant' answered a stream request without an event stream.");
  assert.deepEqual([heard.status, heard.type, heard.code], [502, 'upstream_error', 'upstream_bad_response']);
});
