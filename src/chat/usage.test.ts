import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletionRequest, Usage } from '../openai/types.ts';
import { countTokens, promptTokens } from './count-tokens.ts';
import { estimateUsage, withImageTokens } from './usage.ts';

const usage = (prompt: number, completion: number, extra: Partial<Usage> = {}): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  ...extra,
});

describe('withImageTokens', () => {
  it('without images: unchanged but for cached_tokens: 0', () => {
    assert.deepEqual(withImageTokens(usage(10, 5), 0, true), { ...usage(10, 5), prompt_tokens_details: { cached_tokens: 0 } });
    assert.deepEqual(withImageTokens(usage(10, 5), 0, false), { ...usage(10, 5), prompt_tokens_details: { cached_tokens: 0 } });
  });

  it('keeps an upstream cached_tokens count', () => {
    const u = usage(100, 5, { prompt_tokens_details: { cached_tokens: 64 } });
    assert.deepEqual(withImageTokens(u, 0, true), u);
  });

  it('upstream counted the images: splits prompt_tokens into image and text, totals unchanged', () => {
    const out = withImageTokens(usage(1000, 20), 765, true);
    assert.equal(out.prompt_tokens, 1000);
    assert.equal(out.total_tokens, 1020);
    assert.deepEqual(out.prompt_tokens_details, { image_tokens: 765, text_tokens: 235, cached_tokens: 0 });
  });

  it('local engine (images not counted): adds the image tokens to prompt and total', () => {
    const out = withImageTokens(usage(20, 30), 765, false);
    assert.equal(out.prompt_tokens, 785);
    assert.equal(out.total_tokens, 815);
    assert.equal(out.completion_tokens, 30);
    assert.deepEqual(out.prompt_tokens_details, { image_tokens: 765, text_tokens: 20, cached_tokens: 0 });
  });

  it('an estimate above what the upstream counted is capped at prompt_tokens', () => {
    const out = withImageTokens(usage(300, 1), 765, true);
    assert.equal(out.prompt_tokens, 300);
    assert.deepEqual(out.prompt_tokens_details, { image_tokens: 300, text_tokens: 0, cached_tokens: 0 });
  });

  it('leaves an upstream image_tokens figure alone', () => {
    const u = usage(900, 10, { prompt_tokens_details: { image_tokens: 850, cached_tokens: 0 } });
    assert.deepEqual(withImageTokens(u, 765, true), u);
    const noCached = usage(900, 10, { prompt_tokens_details: { image_tokens: 850 } });
    assert.deepEqual(withImageTokens(noCached, 765, true).prompt_tokens_details, { cached_tokens: 0, image_tokens: 850 });
  });

  it('subtracts audio tokens from text and keeps cached and completion details', () => {
    const u = usage(1000, 10, {
      prompt_tokens_details: { audio_tokens: 100, cached_tokens: 200 },
      completion_tokens_details: { reasoning_tokens: 4 },
    });
    const out = withImageTokens(u, 500, true);
    assert.deepEqual(out.prompt_tokens_details, { audio_tokens: 100, cached_tokens: 200, image_tokens: 500, text_tokens: 400 });
    assert.deepEqual(out.completion_tokens_details, { reasoning_tokens: 4 });
  });

  it('does not change its input', () => {
    const u = usage(1000, 20, { prompt_tokens_details: { cached_tokens: 0 } });
    const copy = structuredClone(u);
    withImageTokens(u, 765, false);
    assert.deepEqual(u, copy);
  });
});

describe('estimateUsage', () => {
  it('counts o200k tokens of the text sent and received, framed as OpenAI frames chat prompts', async () => {
    assert.equal(await countTokens('hello world'), 2);
    const out = await estimateUsage({ model: 'm', messages: [{ role: 'user', content: 'hello world' }] }, 'hello world');
    assert.equal(out.completion_tokens, 2);
    // 3 to prime the reply + 3 of framing for the one message + 2 of text.
    assert.equal(out.prompt_tokens, 8);
    assert.equal(out.total_tokens, 10);
  });

  it('counts names and tool calls of earlier turns, as the local engine does', async () => {
    const request: ChatCompletionRequest = {
      model: 'm',
      messages: [
        { role: 'user', name: 'ada', content: 'hello world' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
      ],
    };
    const out = await estimateUsage(request, '');
    assert.equal(out.prompt_tokens, promptTokens(request));
    assert.ok(out.prompt_tokens > 8 + 3, String(out.prompt_tokens));
  });

  it('counts text parts and skips images (their tokens come from the image pipeline)', async () => {
    const withImage = await estimateUsage(
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text', text: 'hello world' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(4000)}` } }] }] },
      '',
    );
    const textOnly = await estimateUsage({ model: 'm', messages: [{ role: 'user', content: 'hello world' }] }, '');
    assert.equal(withImage.prompt_tokens, textOnly.prompt_tokens);
    assert.equal(withImage.completion_tokens, 0);
  });

  it('grows with every message', async () => {
    const one = await estimateUsage({ model: 'm', messages: [{ role: 'user', content: 'describe it' }] }, 'ok');
    const two = await estimateUsage({ model: 'm', messages: [{ role: 'system', content: 'You are a careful describer of images.' }, { role: 'user', content: 'describe it' }] }, 'ok');
    assert.ok(two.prompt_tokens > one.prompt_tokens + 5);
  });
});
