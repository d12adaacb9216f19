import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.ts';

test('finish reasons map; safety-like reasons are content_filter; calls that stop are tool_calls', () => {
  assert.equal(mapGeminiFinishReason('STOP'), 'stop');
  assert.equal(mapGeminiFinishReason('STOP', true), 'tool_calls');
  assert.equal(mapGeminiFinishReason('MAX_TOKENS'), 'length');
  for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) assert.equal(mapGeminiFinishReason(r), 'content_filter');
  assert.equal(mapGeminiFinishReason('OTHER'), 'stop');
  assert.equal(mapGeminiFinishReason(undefined), 'stop');
});
