import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { mapAnthropicTemperature } from './map-anthropic-temperature.ts';

test('clamp caps at 1, scale halves, refuse rejects values over 1', () => {
  assert.equal(mapAnthropicTemperature(1.6, 'clamp'), 1);
  assert.equal(mapAnthropicTemperature(0.4, 'clamp'), 0.4);
  assert.equal(mapAnthropicTemperature(1.6, 'scale'), 0.8);
  assert.equal(mapAnthropicTemperature(0.7, 'refuse'), 0.7);
  assert.throws(() => mapAnthropicTemperature(1.2, 'refuse'), (err: ApiError) => err.status === 400 && err.param === 'temperature');
  assert.equal(mapAnthropicTemperature(null, 'scale'), undefined);
});
