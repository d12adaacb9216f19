import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import { anthropicSampling, type AnthropicSampling } from './anthropic-sampling.ts';
import type { TemperaturePolicy } from './map-anthropic-temperature.ts';

// What a client's usual sampling settings become, model by model and policy by policy.
const ASKED = { temperature: 0.2, top_p: 0.5, top_k: 40 };

const NEWER = [
  'claude-opus-4-7',
  'claude-opus-4-7-20260416',
  'us.anthropic.claude-opus-4-7-20260416-v1:0',
  'claude-opus-4-7@20260416',
  'claude-sonnet-4-8',
  'claude-opus-5',
  'claude-mythos-preview',
];
// Claude 4.1 to 4.6 take each setting, but not temperature and top_p together.
const ONE_OF_TWO = [
  'claude-opus-4-6',
  'us.anthropic.claude-opus-4-6-v1:0',
  'claude-opus-4-6@default',
  'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5',
  'claude-opus-4-1-20250805',
];
const OLDER = [
  'claude-opus-4-20250514',
  'claude-sonnet-4-20250514',
  'claude-3-7-sonnet@20250219',
  'anthropic.claude-3-5-sonnet-20240620-v1:0',
  'glm-4.6',
];

test('Claude 4.7 and later: what they would refuse is left out under clamp and scale', () => {
  for (const model of NEWER) {
    for (const policy of ['clamp', 'scale'] as const) {
      assert.deepEqual(anthropicSampling({ model, ...ASKED }, policy), {}, `${model} ${policy}`);
      assert.deepEqual(anthropicSampling({ model, top_p: 1, top_k: -1 }, policy), {}, `${model} ${policy}: top_p ≥ 0.99 is the default`);
    }
    // Only a temperature that maps to 1 goes.
    assert.deepEqual(anthropicSampling({ model, temperature: 1.5 }, 'clamp'), { temperature: 1 }, model);
    assert.deepEqual(anthropicSampling({ model, temperature: 2 }, 'scale'), { temperature: 1 }, model);
    assert.deepEqual(anthropicSampling({ model, temperature: 1 }, 'scale'), {}, model);
  }
});

test('Claude 4.7 and later under refuse: a 400 naming the setting, in OpenAI’s words', () => {
  const cases: Array<[Record<string, number>, string, string, RegExp]> = [
    [ASKED, 'temperature', 'unsupported_value', /^Unsupported value: 'temperature' does not support 0\.2 with this model\. Only the default \(1\) value is supported\.$/],
    [{ temperature: 1.5 }, 'temperature', 'unsupported_value', /does not support 1\.5/],
    [{ temperature: 1, top_p: 0.5, top_k: 40 }, 'top_p', 'unsupported_value', /^Unsupported value: 'top_p' does not support 0\.5 with this model\. Only values of 0\.99 or more are supported\.$/],
    [{ top_p: 0.99, top_k: 40 }, 'top_k', 'unsupported_parameter', /^Unsupported parameter: 'top_k' is not supported with this model\.$/],
    [{ top_k: 0 }, 'top_k', 'unsupported_parameter', /top_k/],
  ];
  for (const model of NEWER) {
    for (const [asked, param, code, message] of cases) {
      assert.throws(() => anthropicSampling({ model, ...asked }, 'refuse'), (err: ApiError) =>
        err.status === 400 && err.type === 'invalid_request_error' && err.param === param && err.code === code && message.test(err.message), `${model} ${JSON.stringify(asked)}`);
    }
    // What such a model takes passes: the default temperature, top_p ≥ 0.99 (not sent), top_k off.
    assert.deepEqual(anthropicSampling({ model, temperature: 1, top_p: 0.995, top_k: -1 }, 'refuse'), { temperature: 1 }, model);
    assert.deepEqual(anthropicSampling({ model, temperature: null, top_p: null, top_k: null }, 'refuse'), {}, model);
  }
});

test('older Claudes and other models get the settings as before', () => {
  const expected: Record<TemperaturePolicy, AnthropicSampling> = {
    clamp: { temperature: 0.2, top_p: 0.5, top_k: 40 },
    scale: { temperature: 0.1, top_p: 0.5, top_k: 40 },
    refuse: { temperature: 0.2, top_p: 0.5, top_k: 40 },
  };
  for (const model of OLDER) {
    for (const policy of ['clamp', 'scale', 'refuse'] as const) {
      assert.deepEqual(anthropicSampling({ model, ...ASKED }, policy), expected[policy], `${model} ${policy}`);
    }
    assert.deepEqual(anthropicSampling({ model, temperature: 1.5 }, 'clamp'), { temperature: 1 }, model);
    assert.throws(() => anthropicSampling({ model, temperature: 1.5 }, 'refuse'), (err: ApiError) => err.param === 'temperature' && /out of range/.test(err.message), model);
    // top_k -1 is "off" (as in vLLM), which Anthropic would refuse as a value.
    assert.deepEqual(anthropicSampling({ model, top_k: -1 }, 'clamp'), {}, model);
    assert.deepEqual(anthropicSampling({ model }, 'clamp'), {}, model);
  }
});

test('Claude 4.1 to 4.6 refuse temperature and top_p together: top_p is left out, or under refuse a 400', () => {
  for (const model of ONE_OF_TWO) {
    assert.deepEqual(anthropicSampling({ model, ...ASKED }, 'clamp'), { temperature: 0.2, top_k: 40 }, model);
    assert.deepEqual(anthropicSampling({ model, ...ASKED }, 'scale'), { temperature: 0.1, top_k: 40 }, model);
    assert.throws(() => anthropicSampling({ model, ...ASKED }, 'refuse'), (err: ApiError) =>
      err.status === 400 && err.param === 'top_p' && err.code === 'unsupported_parameter' && /temperature/.test(err.message), model);
    // A top_p of 0.99 or more is the default in all but name (clients send 1 on every request): left out under every policy.
    assert.deepEqual(anthropicSampling({ model, temperature: 0.2, top_p: 1 }, 'refuse'), { temperature: 0.2 }, model);
    // Either one alone goes as sent.
    assert.deepEqual(anthropicSampling({ model, top_p: 0.5, top_k: 40 }, 'refuse'), { top_p: 0.5, top_k: 40 }, model);
    assert.deepEqual(anthropicSampling({ model, temperature: 0.2 }, 'refuse'), { temperature: 0.2 }, model);
  }
});
