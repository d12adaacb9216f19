import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { attributeStreamFailure, attributeUpstreamError } from './attribute-upstream-error.ts';
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
  const engineBug = new TypeError('x is undefined');
  assert.equal(attributeStreamFailure({ id: 'local', type: 'local' }, engineBug, live), engineBug);
});

test("an upstream's answer that its converter could not read is a 502 naming the provider, its cause kept; not once the call was aborted", () => {
  const unread = new TypeError("Cannot read properties of null (reading 'type')");
  const heard = attributeStreamFailure(ant, unread, live) as ApiError;
  assert.deepEqual([heard.status, heard.type, heard.code, heard.cause], [502, 'upstream_error', 'upstream_bad_response', unread]);
  assert.equal(heard.message, "The upstream provider 'ant' sent an answer Iris could not read.");
  const gone = new AbortController();
  gone.abort(new Error('client left'));
  assert.equal(attributeStreamFailure(ant, unread, gone.signal), unread);
});

test("an upstream's 403 names the provider, keeping its code, or saying whose permission it was", () => {
  const leaked = attributeUpstreamError('gem', new ApiError(403, 'Your API key was reported as leaked.', { type: 'permission_error', code: 'PERMISSION_DENIED' }));
  assert.deepEqual([leaked.status, leaked.type, leaked.code], [403, 'permission_error', 'PERMISSION_DENIED']);
  assert.equal(leaked.message, "The upstream provider 'gem' refused the request for the credentials Iris holds for it: Your API key was reported as leaked.");
  assert.equal(attributeUpstreamError('gem', new ApiError(403, 'Forbidden')).code, 'upstream_permission_denied');
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
