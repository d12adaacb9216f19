import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatCompletion, ChatCompletionRequest, Usage } from '../openai/types.ts';
import { countTokens, promptTokens } from './count-tokens.ts';
import { countedUsage, cutStreamUsage, estimateUsage, generatedText, reasoningText, withImageTokens } from './usage.ts';

const usage = (prompt: number, completion: number, extra: Partial<Usage> = {}): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
  ...extra,
});

const noReasoning = { reasoning_tokens: 0 };

describe('withImageTokens', () => {
  it('without images: the full breakdown, image_tokens 0 and every prompt token text', () => {
    for (const counted of [true, false]) {
      assert.deepEqual(withImageTokens(usage(10, 5), 0, counted), {
        ...usage(10, 5),
        prompt_tokens_details: { cached_tokens: 0, text_tokens: 10, image_tokens: 0 },
        completion_tokens_details: noReasoning,
      });
    }
  });

  it('keeps an upstream cached_tokens count', () => {
    const u = usage(100, 5, { prompt_tokens_details: { cached_tokens: 64 } });
    assert.deepEqual(withImageTokens(u, 0, true).prompt_tokens_details, { cached_tokens: 64, text_tokens: 100, image_tokens: 0 });
  });

  it('upstream counted the images: splits prompt_tokens into image and text, totals unchanged', () => {
    const out = withImageTokens(usage(1000, 20), 765, true);
    assert.equal(out.prompt_tokens, 1000);
    assert.equal(out.total_tokens, 1020);
    assert.deepEqual(out.prompt_tokens_details, { image_tokens: 765, text_tokens: 235, cached_tokens: 0 });
    assert.deepEqual(out.completion_tokens_details, noReasoning);
  });

  it('images not counted (local engine, or an estimate): adds the image tokens to prompt and total', () => {
    const out = withImageTokens(usage(20, 30), 765, false);
    assert.equal(out.prompt_tokens, 785);
    assert.equal(out.total_tokens, 815);
    assert.equal(out.completion_tokens, 30);
    assert.deepEqual(out.prompt_tokens_details, { image_tokens: 765, text_tokens: 20, cached_tokens: 0 });
  });

  it('a text-only estimate with a large image: the whole image estimate is added, not capped', () => {
    const out = withImageTokens(usage(15, 4), 25_501, false);
    assert.equal(out.prompt_tokens, 25_516);
    assert.equal(out.total_tokens, 25_520);
    assert.deepEqual(out.prompt_tokens_details, { image_tokens: 25_501, text_tokens: 15, cached_tokens: 0 });
  });

  it('an estimate above what the upstream counted is capped at prompt_tokens', () => {
    const out = withImageTokens(usage(300, 1), 765, true);
    assert.equal(out.prompt_tokens, 300);
    assert.deepEqual(out.prompt_tokens_details, { image_tokens: 300, text_tokens: 0, cached_tokens: 0 });
  });

  it('leaves an upstream image_tokens figure alone and derives text_tokens from it', () => {
    const u = usage(900, 10, { prompt_tokens_details: { image_tokens: 850, cached_tokens: 0 } });
    assert.deepEqual(withImageTokens(u, 765, true).prompt_tokens_details, { image_tokens: 850, cached_tokens: 0, text_tokens: 50 });
    const both = usage(900, 10, { prompt_tokens_details: { image_tokens: 850, text_tokens: 40 } });
    assert.deepEqual(withImageTokens(both, 765, true).prompt_tokens_details, { cached_tokens: 0, image_tokens: 850, text_tokens: 40 });
  });

  it('fills details an upstream sent as null', () => {
    const u = usage(10, 5, { prompt_tokens_details: null, completion_tokens_details: null } as unknown as Partial<Usage>);
    const out = withImageTokens(u, 0, true);
    assert.deepEqual(out.prompt_tokens_details, { cached_tokens: 0, text_tokens: 10, image_tokens: 0 });
    assert.deepEqual(out.completion_tokens_details, noReasoning);
  });

  it('subtracts audio tokens from text and keeps cached and completion details', () => {
    const u = usage(1000, 10, {
      prompt_tokens_details: { audio_tokens: 100, cached_tokens: 200 },
      completion_tokens_details: { reasoning_tokens: 4, audio_tokens: 0 },
    });
    const out = withImageTokens(u, 500, true);
    assert.deepEqual(out.prompt_tokens_details, { audio_tokens: 100, cached_tokens: 200, image_tokens: 500, text_tokens: 400 });
    assert.deepEqual(out.completion_tokens_details, { reasoning_tokens: 4, audio_tokens: 0 });
  });

  it('total_tokens is prompt + completion, whatever total the upstream sent or left out', () => {
    // The spec: "Total number of tokens used in the request (prompt + completion)".
    assert.equal(withImageTokens({ prompt_tokens: 20, completion_tokens: 30, total_tokens: 60 }, 765, false).total_tokens, 815);
    const noTotal = { prompt_tokens: 100, completion_tokens: 5 } as Usage;
    assert.equal(withImageTokens(noTotal, 80, true).total_tokens, 105);
    assert.equal(withImageTokens(noTotal, 80, false).total_tokens, 185);
  });

  it('reasoning an upstream left out of completion_tokens (xAI: total = prompt + completion + reasoning) is put back in', () => {
    const xai = usage(10_120, 1499, { total_tokens: 14_428, prompt_tokens_details: { cached_tokens: 128 }, completion_tokens_details: { reasoning_tokens: 2809 } });
    const out = withImageTokens(xai, 0, true);
    assert.deepEqual([out.prompt_tokens, out.completion_tokens, out.total_tokens], [10_120, 4308, 14_428]);
    assert.equal(out.completion_tokens_details?.reasoning_tokens, 2809);
    // OpenAI's own (reasoning inside completion_tokens) is left as it is.
    const openai = withImageTokens(usage(100, 50, { completion_tokens_details: { reasoning_tokens: 40 } }), 0, true);
    assert.deepEqual([openai.completion_tokens, openai.total_tokens], [50, 150]);
  });

  it('missing or broken counts become 0, so the usage stays the integers the spec requires', () => {
    const out = withImageTokens({ prompt_tokens: 9 } as Usage, 0, true);
    assert.deepEqual([out.prompt_tokens, out.completion_tokens, out.total_tokens], [9, 0, 9]);
    const nulls = withImageTokens({ prompt_tokens: null, completion_tokens: 3, total_tokens: null } as unknown as Usage, 85, false);
    assert.deepEqual([nulls.prompt_tokens, nulls.completion_tokens, nulls.total_tokens], [85, 3, 88]);
  });

  it('detail fields an upstream sent as null are left out (the spec types them as integers)', () => {
    const u = usage(50, 5, {
      prompt_tokens_details: { cached_tokens: null, audio_tokens: null, text_tokens: null, image_tokens: null },
      completion_tokens_details: { reasoning_tokens: null, audio_tokens: null, accepted_prediction_tokens: null, rejected_prediction_tokens: 2 },
    } as unknown as Partial<Usage>);
    const out = withImageTokens(u, 30, true);
    assert.deepEqual(out.prompt_tokens_details, { cached_tokens: 0, text_tokens: 20, image_tokens: 30 });
    assert.deepEqual(out.completion_tokens_details, { rejected_prediction_tokens: 2, reasoning_tokens: 0 });
  });

  it('cached tokens are part of the text and image tokens, not beside them', () => {
    const out = withImageTokens(usage(1000, 5, { prompt_tokens_details: { cached_tokens: 800 } }), 765, true);
    assert.deepEqual(out.prompt_tokens_details, { cached_tokens: 800, text_tokens: 235, image_tokens: 765 });
  });

  it('text, image and audio tokens never add up to more than prompt_tokens', () => {
    const audio = withImageTokens(usage(300, 1, { prompt_tokens_details: { audio_tokens: 100 } }), 765, true);
    assert.deepEqual(audio.prompt_tokens_details, { audio_tokens: 100, cached_tokens: 0, image_tokens: 200, text_tokens: 0 });
    // An upstream's own text count stands; the image estimate gets what it leaves.
    const text = withImageTokens(usage(1000, 1, { prompt_tokens_details: { text_tokens: 900 } }), 765, true);
    assert.deepEqual(text.prompt_tokens_details, { cached_tokens: 0, text_tokens: 900, image_tokens: 100 });
  });

  it('does not change its input', () => {
    const u = usage(1000, 20, { prompt_tokens_details: { cached_tokens: 0 } });
    const copy = structuredClone(u);
    withImageTokens(u, 765, false);
    assert.deepEqual(u, copy);
  });
});

describe('generatedText', () => {
  it('joins content, refusals and tool-call names and arguments of every choice', () => {
    const completion: ChatCompletion = {
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hi. ', refusal: null }, finish_reason: 'stop', logprobs: null },
        { index: 1, message: { role: 'assistant', content: null, refusal: 'No.' }, finish_reason: 'stop', logprobs: null },
        {
          index: 2,
          message: { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } }] },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
    };
    assert.equal(generatedText(completion), 'Hi. No.lookup{"q":"x"}');
  });

  it('counts custom tool calls and the deprecated function_call too', () => {
    const message = {
      role: 'assistant' as const,
      content: null,
      refusal: null,
      tool_calls: [{ id: 'c2', type: 'custom', custom: { name: 'grep', input: 'TODO' } }] as unknown as ChatCompletion['choices'][0]['message']['tool_calls'],
      function_call: { name: 'old', arguments: '{}' },
    };
    const completion: ChatCompletion = { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message, finish_reason: 'tool_calls', logprobs: null }] };
    assert.equal(generatedText(completion), 'grepTODOold{}');
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

  it('counts a long run without spaces in slices: close to the whole count, and without blocking on a long one', async () => {
    const { encode } = await import('gpt-tokenizer/encoding/o200k_base');
    // Short enough to encode whole in a moment: the slices' count is within a token per slice.
    for (const run of ['b'.repeat(3_000), 'Zurich'.repeat(500), '日本語のテキスト'.repeat(300), '-_=+'.repeat(700)]) {
      const text = `Before ${run} after.`;
      const exact = encode(text).length;
      const slices = Math.ceil(run.length / 200);
      assert.ok(Math.abs(countTokens(text) - exact) <= slices, `${run.slice(0, 12)}…: ${countTokens(text)} against ${exact}`);
    }
    // 1 MB of one letter: whole, BPE would take minutes here.
    const started = performance.now();
    assert.ok(countTokens('b'.repeat(1_000_000)) > 0);
    assert.ok(performance.now() - started < 5_000, `${Math.round(performance.now() - started)} ms`);
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

  it('counts tool definitions, as OpenAI bills them', async () => {
    const messages: ChatCompletionRequest['messages'] = [{ role: 'user', content: 'describe it' }];
    const tools: ChatCompletionRequest['tools'] = [
      { type: 'function', function: { name: 'describe_scene', description: 'Describe the scene.', parameters: { type: 'object', properties: { what: { type: 'string' } } } } },
    ];
    const without = await estimateUsage({ model: 'm', messages }, '');
    const withTools = await estimateUsage({ model: 'm', messages, tools }, '');
    assert.equal(withTools.prompt_tokens, without.prompt_tokens + countTokens(JSON.stringify(tools)));
  });

  it('counts custom tool calls of earlier turns', async () => {
    const request: ChatCompletionRequest = {
      model: 'm',
      messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'custom', custom: { name: 'run', input: 'print(1)' } }] }],
    };
    assert.equal(promptTokens(request), 3 + 3 + countTokens('run') + countTokens('print(1)'));
  });

  it("counts an earlier assistant turn's refusal and deprecated function_call", () => {
    const request: ChatCompletionRequest = {
      model: 'm',
      messages: [
        { role: 'assistant', content: null, refusal: 'I cannot help with that.' },
        { role: 'assistant', content: null, function_call: { name: 'lookup', arguments: '{"q":"x"}' } },
      ],
    };
    assert.equal(promptTokens(request), 3 + 6 + countTokens('I cannot help with that.') + countTokens('lookup') + countTokens('{"q":"x"}'));
  });

  it('grows with every message', async () => {
    const one = await estimateUsage({ model: 'm', messages: [{ role: 'user', content: 'describe it' }] }, 'ok');
    const two = await estimateUsage({ model: 'm', messages: [{ role: 'system', content: 'You are a careful describer of images.' }, { role: 'user', content: 'describe it' }] }, 'ok');
    assert.ok(two.prompt_tokens > one.prompt_tokens + 5);
  });
});

describe('estimateUsage with reasoning', () => {
  it('counts reasoning inside completion_tokens and breaks it out, as OpenAI does', async () => {
    const out = await estimateUsage({ model: 'm', messages: [{ role: 'user', content: 'hello world' }] }, 'hello world', 'hello world hello world');
    assert.deepEqual([out.completion_tokens, out.completion_tokens_details?.reasoning_tokens, out.total_tokens], [6, 4, 14]);
    const none = await estimateUsage({ model: 'm', messages: [{ role: 'user', content: 'hello world' }] }, 'hello world');
    assert.equal(none.completion_tokens_details?.reasoning_tokens, 0);
  });

  it('reasoningText joins every choice’s reasoning_content', () => {
    const completion = {
      id: 'c', object: 'chat.completion', created: 0, model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'a', reasoning_content: 'x' }, finish_reason: 'stop', logprobs: null },
        { index: 1, message: { role: 'assistant', content: 'b' }, finish_reason: 'stop', logprobs: null },
        { index: 2, message: { role: 'assistant', content: 'c', reasoning_content: 'y' }, finish_reason: 'stop', logprobs: null },
      ],
    } as ChatCompletion;
    assert.equal(reasoningText(completion), 'xy');
  });
});

it('countedUsage: usage whose prompt or completion count is no number says nothing (estimated instead)', () => {
  const good = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
  assert.equal(countedUsage(good), good);
  assert.equal(countedUsage({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 })?.prompt_tokens, 0);
  for (const bad of [null, undefined, { prompt_tokens: '5', completion_tokens: 3, total_tokens: 8 }, { prompt_tokens: 5, completion_tokens: null, total_tokens: 5 }, { prompt_tokens: -1, completion_tokens: 3, total_tokens: 2 }]) {
    assert.equal(countedUsage(bad as never), null, JSON.stringify(bad));
  }
});

describe('cutStreamUsage', () => {
  it('estimates at about 4 characters a token until the tokenizer has loaded, then as estimateUsage does', async () => {
    const request: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(400) }] };
    const before = await cutStreamUsage(request, 'y'.repeat(40), '');
    assert.ok(before.prompt_tokens > 0 && before.completion_tokens > 0);
    // estimateUsage loads the tokenizer: from then on both count the same.
    const exact = await estimateUsage(request, 'y'.repeat(40), '');
    assert.deepEqual(await cutStreamUsage(request, 'y'.repeat(40), ''), exact);
  });
});
