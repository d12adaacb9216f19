import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import type { ChatCompletion, ChatCompletionRequest } from '../openai/types.ts';
import { AnalysisTimeoutError, describeImage } from './describe-image.ts';

const ctx = () => ({ requestId: 'r', signal: new AbortController().signal, log: pino({ level: 'silent' }) });
const input = { model: 'vis', prompt: 'Describe.', url: 'data:image/png;base64,AAAA', timeoutMs: 200 };

function completion(text: string): ChatCompletion {
  return {
    id: 'x', object: 'chat.completion', created: 0, model: 'vis',
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 90, completion_tokens: 12, total_tokens: 102, prompt_tokens_details: { image_tokens: 85 } },
  };
}

test('sends one user message with the prompt then the image, and returns text and tokens', async () => {
  let seen: ChatCompletionRequest | undefined;
  const out = await describeImage(async (request) => ((seen = request), completion('A red square.')), { ...input, detail: 'low' }, ctx());
  assert.deepEqual(seen, {
    model: 'vis',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe.' }, { type: 'image_url', image_url: { url: input.url, detail: 'low' } }] }],
  });
  assert.deepEqual(out, { text: 'A red square.', prompt_tokens: 90, completion_tokens: 12, image_tokens: 85 });
});

test('a model that never answers (and ignores its signal) times out', async () => {
  const t0 = performance.now();
  await assert.rejects(describeImage(() => new Promise(() => undefined), input, ctx()), (err: unknown) => {
    assert.ok(err instanceof AnalysisTimeoutError);
    assert.equal(err.message, 'timed out after 200 ms');
    return true;
  });
  assert.ok(performance.now() - t0 < 1000);
});

test('the call gets a signal that aborts at the timeout', async () => {
  let aborted = false;
  await assert.rejects(
    describeImage((_req, c) => new Promise((_, reject) => c.signal.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted'))))), input, ctx()),
    AnalysisTimeoutError,
  );
  assert.equal(aborted, true);
});

test('an empty description is a failure', async () => {
  await assert.rejects(describeImage(async () => completion('   '), input, ctx()), /empty description/);
});
