import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import type { AnalysisUsage } from '../../src/openai/types.ts';
import { fakePromptTokens, fakeReply, startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { startAnalysisWorld, imagePartsIn, textIn, type AnalysisWorld } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';

// Audit of analysis mode (describe-then-ask), end to end with the official openai SDK against
// the real Iris and fake upstreams. The cases under "Found by the audit" each failed before
// their fix (session 16): a charge paid twice or dropped, or an error that lost its status.

type Body = { model: string; messages: { role: string; content: unknown }[]; [k: string]: unknown };
type TextPart = { type: string; text: string };

function analysisOf(usage: unknown): AnalysisUsage {
  const analysis = (usage as { analysis?: AnalysisUsage } | undefined)?.analysis;
  assert.ok(analysis, 'usage.analysis is present');
  return analysis;
}

const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
const stamp = () => `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
const image = async (label: string) => dataUrl(await renderTextPng([`${label} ${stamp()}`]));

describe('analysis audit: the shared world (text-only text-1, vision-1 as the analysis model)', () => {
  let world: AnalysisWorld;
  before(async () => {
    world = await startAnalysisWorld();
  });
  after(() => world.close());

  // ------------------------------------------------------------------------------------------
  // Routing

  test('routing: -ocr is listed for text-only models only; an -ocr name for an unknown model is a clear 404', async () => {
    const ids = (await world.iris.client.models.list()).data.map((m) => m.id);
    assert.ok(ids.includes('text-1-ocr'));
    assert.ok(!ids.includes('vision-1-ocr'));
    const err = await failure(world.iris.client.chat.completions.create({ model: 'nope-ocr', messages: [{ role: 'user', content: 'hi' }] }));
    assert.ok(err instanceof OpenAI.NotFoundError, String(err));
    assert.equal(err.code, 'model_not_found');
    assert.equal(err.param, null);
    assert.match(err.message, /`nope-ocr` does not exist/);
  });

  test('routing: a vision model given an image answers itself (no analysis, no usage.analysis)', async () => {
    world.vision.reset();
    const url = await image('Direct');
    const completion = await world.iris.client.chat.completions.create({
      model: 'vision-1',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Look.' }, { type: 'image_url', image_url: { url } }] }],
    });
    assert.equal(world.visionCalls(), 1);
    assert.equal(imagePartsIn(world.vision.requests[0].body as Body).length, 1);
    assert.equal((completion.usage as { analysis?: unknown }).analysis, undefined);
    assert.ok((completion.usage?.prompt_tokens_details as { image_tokens?: number }).image_tokens! > 0);
  });

  test('routing: an image in an assistant message is refused as OpenAI does, with the exact param', async () => {
    const url = await image('Assistant');
    const err = await failure(
      world.iris.client.chat.completions.create({
        model: 'text-1-ocr',
        messages: [{ role: 'user', content: 'x' }, { role: 'assistant', content: [{ type: 'image_url', image_url: { url } }] as never }],
      }),
    );
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.param, 'messages[1].content[0].type');
  });

  // ------------------------------------------------------------------------------------------
  // Context placement

  test('placement: images across messages are numbered in order and replaced in place; one seen twice is described once', async () => {
    world.text.reset();
    world.vision.reset();
    const [a, b, c] = await Promise.all([image('Alpha'), image('Beta'), image('Gamma')]);
    const completion = await world.iris.client.chat.completions.create({
      model: 'text-1',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'First:' }, { type: 'image_url', image_url: { url: a } }, { type: 'text', text: 'Second:' }, { type: 'image_url', image_url: { url: b } }] },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: [{ type: 'image_url', image_url: { url: c } }, { type: 'text', text: 'First:' }, { type: 'text', text: 'Second:' }, { type: 'image_url', image_url: { url: a } }] },
      ],
    });
    const [body] = world.textBodies();
    assert.equal(imagePartsIn(body).length, 0);
    const m1 = body.messages[1].content as TextPart[];
    const m3 = body.messages[3].content as TextPart[];
    assert.deepEqual(m1.map((p) => p.type), ['text', 'text', 'text', 'text']);
    assert.equal(m1[0].text, 'First:');
    assert.match(m1[1].text, /^\[Image 1: description by vision-1/);
    assert.equal(m1[2].text, 'Second:');
    assert.match(m1[3].text, /^\[Image 2: description by vision-1/);
    assert.match(m3[0].text, /^\[Image 3: description by vision-1/);
    assert.match(m3[3].text, /^\[Image 4: description by vision-1/);
    const inner = (t: string) => t.split('\n').slice(1, -1).join('\n');
    assert.equal(inner(m3[3].text), inner(m1[1].text), 'Alpha: the same description both times');
    assert.equal(body.messages[2].content, 'Noted.');
    // Alpha is asked about with the same question (its message's text) in both messages: 3 calls.
    assert.equal(world.visionCalls(), 3);
    assert.deepEqual([analysisOf(completion.usage).images, analysisOf(completion.usage).cached_images], [4, 1]);
  });

  // ------------------------------------------------------------------------------------------
  // Params

  test('params: sampling and limits go to the text model only; the describer gets a plain request', async () => {
    world.text.reset();
    world.vision.reset();
    const url = await image('Params');
    const completion = await world.iris.client.chat.completions.create({
      model: 'text-1-ocr',
      temperature: 0.2,
      max_tokens: 7,
      n: 2,
      seed: 42,
      stop: ['zzz'],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Read it please.' }, { type: 'image_url', image_url: { url, detail: 'high' } }] }],
    });
    const describer = world.vision.requests[0].body as Body;
    for (const key of ['temperature', 'max_tokens', 'max_completion_tokens', 'n', 'seed', 'stop']) assert.equal(describer[key], undefined, key);
    assert.equal((imagePartsIn(describer)[0] as { image_url: { detail?: string } }).image_url.detail, 'high');
    const [text] = world.textBodies() as Body[];
    assert.deepEqual([text.temperature, text.max_tokens, text.n, text.seed], [0.2, 7, 2, 42]);
    assert.equal(completion.choices.length, 2);
    assert.ok(completion.choices.every((c) => c.finish_reason === 'length'));
    // Usage: the text model at the top, the describer in usage.analysis.
    assert.equal(completion.usage!.prompt_tokens, fakePromptTokens(text as never));
    assert.equal(completion.usage!.total_tokens, completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    const analysis = analysisOf(completion.usage);
    assert.equal(analysis.prompt_tokens, fakePromptTokens(describer as never));
    assert.equal(analysis.completion_tokens, fakeReply(describer as never).completionTokens);
    assert.ok(analysis.image_tokens > 0);
  });

  test('params: a forced tool call and response_format still work through -ocr', async () => {
    world.text.reset();
    const url = await image('Tools');
    const completion = await world.iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Extract.' }, { type: 'image_url', image_url: { url } }] }],
      tools: [{ type: 'function', function: { name: 'save', parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] } } }],
      tool_choice: { type: 'function', function: { name: 'save' } },
      response_format: { type: 'json_object' },
    });
    assert.equal(completion.choices[0].finish_reason, 'tool_calls');
    assert.equal(completion.choices[0].message.tool_calls?.[0].type === 'function' && completion.choices[0].message.tool_calls[0].function.name, 'save');
    const [text] = world.textBodies() as Body[];
    assert.deepEqual(text.response_format, { type: 'json_object' });
    assert.equal((text.tools as unknown[]).length, 1);
  });

  // ------------------------------------------------------------------------------------------
  // Usage, streamed

  test('usage: the streamed usage chunk carries usage.analysis (n=2, include_usage)', async () => {
    world.text.reset();
    const url = await image('Streamed');
    const stream = await world.iris.client.chat.completions.create({
      model: 'text-1',
      stream: true,
      n: 2,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Read.' }, { type: 'image_url', image_url: { url } }] }],
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    const indexes = new Set<number>();
    for await (const chunk of stream) {
      for (const c of chunk.choices) indexes.add(c.index);
      if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual([...indexes].sort(), [0, 1]);
    assert.ok(usage);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    const analysis = analysisOf(usage);
    assert.deepEqual([analysis.images, analysis.cached_images], [1, 0]);
    assert.ok(analysis.prompt_tokens > 0 && analysis.completion_tokens > 0);
  });

  // ------------------------------------------------------------------------------------------
  // Failures of the image itself

  test('failures: data that is not an image, or a truncated PNG, is a 400 naming that image', async () => {
    world.vision.reset();
    const notImage = `data:image/png;base64,${Buffer.from('hello, not an image at all').toString('base64')}`;
    const e1 = await failure(
      world.iris.client.chat.completions.create({
        model: 'text-1',
        messages: [{ role: 'user', content: 'first' }, { role: 'user', content: [{ type: 'text', text: 'Read.' }, { type: 'image_url', image_url: { url: notImage } }] }],
      }),
    );
    assert.ok(e1 instanceof OpenAI.BadRequestError, String(e1));
    assert.equal(e1.param, 'messages[1].content[1].image_url.url');
    const png = await renderTextPng([`Truncated ${stamp()}`]);
    const e2 = await failure(
      world.iris.client.chat.completions.create({
        model: 'text-1-ocr',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl(png.subarray(0, 200)) } }] }],
      }),
    );
    assert.ok(e2 instanceof OpenAI.BadRequestError, String(e2));
    assert.equal(e2.param, 'messages[0].content[0].image_url.url');
    assert.equal(world.visionCalls(), 0);
  });

  // ------------------------------------------------------------------------------------------
  // Found by the audit

  test('an image sent on its own is described once: the next turn, asking about it, gets it from the cache', async () => {
    // README: descriptions are cached "so a conversation that resends its history pays for each
    // image once"; find-images.ts: the question is "never from the latest turn, so a resent
    // history asks the same question and hits the cache". Sending the picture first and the
    // question in the next turn is how chat UIs (and users) often do it.
    world.text.reset();
    world.vision.reset();
    const url = await image('Receipt');
    const turn1 = [{ role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url } }] }];
    const first = await world.iris.client.chat.completions.create({ model: 'text-1-ocr', messages: turn1 });
    assert.equal(world.visionCalls(), 1);
    const second = await world.iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [...turn1, { role: 'assistant', content: first.choices[0].message.content }, { role: 'user', content: 'What is the total?' }],
    });
    const analysis = analysisOf(second.usage);
    assert.deepEqual(
      { visionCalls: world.visionCalls(), cached_images: analysis.cached_images, prompt_tokens: analysis.prompt_tokens },
      { visionCalls: 1, cached_images: 1, prompt_tokens: 0 },
      'the resent image of turn 1 should come from the cache, not be described and charged again',
    );
  });

  test('under on_error skip, a describer call that returned no text is still counted in usage.analysis', async () => {
    const skipWorld = await startAnalysisWorld({ on_error: 'skip' });
    try {
      // The describer ran and reported what it cost (a reasoning model that spent its budget, a
      // refusal, a filter): the request goes on with a note, so its usage must still say so.
      skipWorld.vision.script({
        kind: 'json',
        body: {
          id: 'chatcmpl-empty',
          object: 'chat.completion',
          created: 1,
          model: 'vision-1',
          choices: [{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 812, completion_tokens: 3, total_tokens: 815 },
        },
      });
      const url = await image('Empty');
      const completion = await skipWorld.iris.client.chat.completions.create({
        model: 'text-1',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Read.' }, { type: 'image_url', image_url: { url } }] }],
      });
      assert.match(textIn(skipWorld.textBodies()[0]), /could not be analysed by vision-1 \(the analysis model returned an empty description\)/);
      const analysis = analysisOf(completion.usage);
      assert.deepEqual(
        { prompt_tokens: analysis.prompt_tokens, completion_tokens: analysis.completion_tokens },
        { prompt_tokens: 812, completion_tokens: 3 },
        'the tokens the analysis model reported (and billed) are dropped',
      );
    } finally {
      await skipWorld.close();
    }
  });

  test('a request whose job waited for a concurrency slot takes the description another request made meanwhile', async () => {
    // README: "Requests that need the same description at the same time wait for the one being
    // made (counted as cached)". Request B needs image X while A is describing it, and B's own
    // slot (concurrency 1) is busy with image Y; by the time X's turn comes, A's description is
    // cached and no longer in flight: B looks in the cache again then.
    const slow = await startAnalysisWorld({ concurrency: 1 });
    try {
      slow.visionGate.delayMs = 300;
      const [x, y] = await Promise.all([image('X'), image('Y')]);
      const ask = (urls: string[]) =>
        slow.iris.client.chat.completions.create({
          model: 'text-1',
          messages: [{ role: 'user', content: [{ type: 'text', text: 'Read.' }, ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } }))] }],
        });
      const a = ask([x]);
      await slow.vision.until(() => slow.visionGate.maxInFlight === 1); // A is describing X
      await new Promise((r) => setTimeout(r, 50));
      const b = ask([y, x]);
      const [, cb] = await Promise.all([a, b]);
      const analysis = analysisOf(cb.usage);
      assert.deepEqual(
        { visionCalls: slow.visionCalls(), cached_images: analysis.cached_images },
        { visionCalls: 2, cached_images: 1 },
        'X was described twice and charged to both requests',
      );
    } finally {
      await slow.close();
    }
  });
});

describe('analysis audit: describer errors reach the client (no proxy in between, so headers are kept)', () => {
  let text: FakeOpenAI;
  let vision: FakeOpenAI;
  let iris: RunningIris;
  before(async () => {
    text = await startFakeOpenAI({ models: ['text-1'] });
    vision = await startFakeOpenAI({ models: ['vision-1'] });
    iris = await startIris({
      providers: { text: { type: 'openai', base_url: text.url }, vision: { type: 'openai', base_url: vision.url } },
      models: [{ name: 'text-1', provider: 'text', vision: false }, { name: 'vision-1', provider: 'vision' }],
      analysis: { model: 'vision-1' },
    });
  });
  after(async () => {
    await iris?.close();
    await Promise.all([text?.close(), vision?.close()]);
  });

  test('the same 429 asked of vision-1 directly keeps its status and Retry-After (baseline)', async () => {
    vision.script({ kind: 'error', status: 429 });
    const url = await image('Direct429');
    const err = await failure(iris.client.chat.completions.create({ model: 'vision-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url } }] }] }));
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.equal(err.headers?.get('retry-after'), '1');
  });

  test('the analysis model being rate limited (429) reaches the client as a 429 with its Retry-After', async () => {
    // README: "Upstream failures reach the client as OpenAI errors: 4xx keep their status and
    // message, 429 and 503 keep Retry-After". Through analysis mode too (it was a 502 without
    // Retry-After, so clients could not back off as the upstream asked).
    vision.script({ kind: 'error', status: 429 });
    const url = await image('Analysis429');
    const err = await failure(
      iris.client.chat.completions.create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image_url', image_url: { url } }] }] }),
    );
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.param, 'messages[0].content[1].image_url.url');
    assert.deepEqual({ status: err.status, retryAfter: err.headers?.get('retry-after') ?? null }, { status: 429, retryAfter: '1' });
  });

  test('the analysis model refusing the image (400) is a 400 naming the image, which the SDK does not retry', async () => {
    vision.script({ kind: 'error', status: 400 });
    const url = await image('Analysis400');
    const err = await failure(
      iris.client.chat.completions.create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }, { type: 'text', text: 'x' }] }] }),
    );
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.code, 'invalid_image', "the upstream's code");
    assert.equal(err.param, 'messages[0].content[0].image_url.url');
    assert.match(err.message, /could not describe image 1 \(messages\[0\]\.content\[0\]\.image_url\.url\): [^]*[^.]\.$/, 'one full stop at the end');
  });
});
