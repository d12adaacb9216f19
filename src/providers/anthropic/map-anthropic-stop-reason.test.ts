import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';

test('stop reasons map to OpenAI finish reasons', () => {
  assert.equal(mapAnthropicStopReason('end_turn'), 'stop');
  assert.equal(mapAnthropicStopReason('stop_sequence'), 'stop');
  assert.equal(mapAnthropicStopReason('max_tokens'), 'length');
  assert.equal(mapAnthropicStopReason('model_context_window_exceeded'), 'length');
  assert.equal(mapAnthropicStopReason('tool_use'), 'tool_calls');
  assert.equal(mapAnthropicStopReason('refusal'), 'content_filter');
  assert.equal(mapAnthropicStopReason('pause_turn'), 'stop');
  assert.equal(mapAnthropicStopReason(null), 'stop');
});
