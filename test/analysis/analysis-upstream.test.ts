import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import OpenAI from 'openai';
import { makeImage } from '../../src/images/testing/test-images.ts';
import { MIN_VERBATIM_CHARS } from '../../src/json/verbatim-strings.ts';
import type { AnalysisUsage } from '../../src/openai/types.ts';
import { fakePromptTokens, fakeReply } from '../support/fake-openai-upstream.ts';
import { startAnalysisWorld, imagePartsIn, textIn, type AnalysisWorld } from './support/analysis-world.ts';
import { dataUrl, renderTextPng } from './support/render-text.ts';
import { TEXT_ONLY_ERROR } from './support/upstream-gate.ts';

// Analysis mode end to end, with an upstream vision model as the analysis model: the real
// server, the openai SDK, a text-only upstream that refuses image parts.

type Body = { model: string; messages: { role: string; content: unknown }[] };

function analysisOf(usage: unknown): AnalysisUsage {
  const analysis = (usage as { analysis?: AnalysisUsage }).analysis;
  assert.ok(analysis, 'usage.analysis is present');
  return analysis;
}

describe('analysis mode with an upstream analysis model', () => {
  let world: AnalysisWorld;
  let invoice: string;
  let chart: string;

  before(async () => {
    world = await startAnalysisWorld();
    invoice = dataUrl(await renderTextPng(['INVOICE 4721', 'Total 99.50 EUR']));
    chart = dataUrl(await renderTextPng(['Quarterly sales chart']));
  });
  after(() => world.close());

  test('the text-only upstream really refuses image parts (so the tests below mean something)', async () => {
    const direct = new OpenAI({ baseURL: world.textGate.url, apiKey: 'unused', maxRetries: 0 });
    const err = await direct.chat.completions
      .create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: invoice } }] }] })
      .then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError);
    assert.equal(err.status, 400);
    assert.equal(err.message.includes(TEXT_ONLY_ERROR.error.message), true);
  });

  test('/v1/models lists `-ocr` for text-only models, not for vision models', async () => {
    const ids = (await world.iris.client.models.list()).data.map((m) => m.id);
    assert.ok(ids.includes('text-1'));
    assert.ok(ids.includes('text-1-ocr'));
    assert.ok(!ids.includes('vision-1-ocr'));
    // Not advertised, but a vision model's variant still resolves.
    assert.equal((await world.iris.client.models.retrieve('vision-1-ocr')).id, 'vision-1-ocr');
  });

  test('a text-only model given an image gets its description in place, with no image parts', async () => {
    world.text.reset();
    world.vision.reset();
    const rejectedBefore = world.textGate.rejected;
    const completion = await world.iris.client.chat.completions.create({
      model: 'text-1',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'What is the invoice total?' }, { type: 'image_url', image_url: { url: invoice } }] },
      ],
    });
    assert.equal(completion.model, 'text-1');

    // The analysis model got the image and the prompt with the user's question.
    assert.equal(world.visionCalls(), 1);
    const analysisBody = world.vision.requests[0].body as Body;
    assert.equal(analysisBody.model, 'vision-1');
    assert.equal(imagePartsIn(analysisBody).length, 1);
    const prompt = textIn(analysisBody);
    assert.match(prompt, /verbatim/);
    assert.match(prompt, /What is the invoice total\?/);
    const description = fakeReply(analysisBody as never).content!;

    // The text model got the description where the image was, and no image at all.
    const [textBody] = world.textBodies();
    assert.equal(textBody.model, 'text-1');
    assert.equal(imagePartsIn(textBody).length, 0);
    const user = textBody.messages[1].content as { type: string; text: string }[];
    assert.equal(user.length, 2);
    assert.deepEqual(user[0], { type: 'text', text: 'What is the invoice total?' });
    assert.equal(user[1].type, 'text');
    assert.match(user[1].text, /^\[Image 1: description by vision-1/);
    assert.ok(user[1].text.includes(description.trim()));
    assert.equal(world.textGate.rejected, rejectedBefore, 'no image reached the text-only upstream');

    // Usage: the text model's, plus what the analysis cost.
    const usage = completion.usage!;
    assert.equal(usage.prompt_tokens, fakePromptTokens(textBody as never));
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    const analysis = analysisOf(usage);
    assert.equal(analysis.model, 'vision-1');
    assert.equal(analysis.images, 1);
    assert.equal(analysis.cached_images, 0);
    assert.equal(analysis.prompt_tokens, fakePromptTokens(analysisBody as never));
    assert.equal(analysis.completion_tokens, fakeReply(analysisBody as never).completionTokens);
    assert.equal(typeof analysis.image_tokens, 'number');
  });

  test('large photos (data URLs kept out of JSON.parse) reach the analysis model as sent, each described for itself', async () => {
    world.text.reset();
    world.vision.reset();
    const photo = async (width: number) => `data:image/jpeg;base64,${(await makeImage('jpeg', width, 360, { noise: true, quality: 95 })).toString('base64')}`;
    const photos = [await photo(480), await photo(482)];
    assert.ok(photos.every((p) => p.length > MIN_VERBATIM_CHARS) && photos[0] !== photos[1]);
    const ask = (url: string) =>
      world.iris.client.chat.completions.create({
        model: 'text-1',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url } }] }],
      });
    for (const url of photos) await ask(url);
    // Two different images: two descriptions. The first again: from the cache, keyed by content.
    const again = await ask(photos[0]);
    assert.equal(world.visionCalls(), 2);
    assert.equal(analysisOf(again.usage).cached_images, 1);
    const sent = world.vision.requests.map((r) => imagePartsIn(r.body as Body).map((p) => (p as { image_url: { url: string } }).image_url.url));
    assert.deepEqual(sent, [[photos[0]], [photos[1]]]);
    assert.ok(world.textBodies().every((body) => imagePartsIn(body).length === 0));
  });

  test('`<model>-ocr` always analyses and answers under the name asked for', async () => {
    world.text.reset();
    const completion = await world.iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: chart } }, { type: 'text', text: 'What does this show?' }] }],
    });
    assert.equal(completion.model, 'text-1-ocr');
    const [textBody] = world.textBodies();
    assert.equal(textBody.model, 'text-1');
    assert.equal(imagePartsIn(textBody).length, 0);
    assert.match(textIn(textBody), /\[Image 1: description by vision-1/);
    assert.equal(analysisOf(completion.usage).images, 1);
  });

  test('a conversation that resends its history pays for each image once', async () => {
    world.text.reset();
    world.vision.reset();
    const fresh = dataUrl(await renderTextPng([`Ticket ${Date.now()}`]));
    const turn1 = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Read the ticket.' }, { type: 'image_url' as const, image_url: { url: fresh } }] }];
    const first = await world.iris.client.chat.completions.create({ model: 'text-1-ocr', messages: turn1 });
    assert.equal(world.visionCalls(), 1);
    assert.equal(analysisOf(first.usage).cached_images, 0);

    const second = await world.iris.client.chat.completions.create({
      model: 'text-1-ocr',
      messages: [...turn1, { role: 'assistant', content: first.choices[0].message.content }, { role: 'user', content: 'And what is the number on it?' }],
    });
    assert.equal(world.visionCalls(), 1, 'no second analysis call');
    const analysis = analysisOf(second.usage);
    assert.deepEqual(
      { images: analysis.images, cached: analysis.cached_images, prompt: analysis.prompt_tokens, completion: analysis.completion_tokens },
      { images: 1, cached: 1, prompt: 0, completion: 0 },
    );
    // Same description both times.
    const [body1, body2] = world.textBodies();
    const describedIn = (b: Body) => (b.messages[0].content as { text: string }[])[1].text;
    assert.equal(describedIn(body2), describedIn(body1));
    assert.ok(world.iris.logs.some((l) => l.msg === 'analysis: image description from cache' && l.reqId));
  });

  test('several images: analysed concurrently within the bound, each replaced in its place', async () => {
    world.text.reset();
    world.vision.reset();
    world.visionGate.maxInFlight = 0;
    // Long enough that the serial time (5 × the delay) stands well clear of the concurrent one
    // (2 × the delay) plus the preparation of five images on a loaded machine.
    world.visionGate.delayMs = 400;
    try {
      const stamp = Date.now();
      const urls = await Promise.all([1, 2, 3, 4, 5].map(async (n) => dataUrl(await renderTextPng([`Page ${n} of ${stamp}`]))));
      const t0 = performance.now();
      const completion = await world.iris.client.chat.completions.create({
        model: 'text-1',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Compare these.' }, ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } }))] }],
      });
      const ms = performance.now() - t0;
      assert.equal(world.visionCalls(), 5);
      assert.equal(world.visionGate.maxInFlight, 4, 'analysis.concurrency (default 4) bounds the calls in flight');
      assert.ok(ms < 5 * 400, `concurrent, not serial (${Math.round(ms)} ms)`);
      const parts = world.textBodies()[0].messages[0].content as { type: string; text: string }[];
      assert.deepEqual(parts.map((p) => p.type), ['text', 'text', 'text', 'text', 'text', 'text']);
      parts.slice(1).forEach((p, i) => assert.match(p.text, new RegExp(`^\\[Image ${i + 1}: description by vision-1`)));
      assert.equal(analysisOf(completion.usage).images, 5);
    } finally {
      world.visionGate.delayMs = 0;
    }
  });

  test('the same image twice in one request is described once', async () => {
    world.vision.reset();
    const twice = dataUrl(await renderTextPng([`Twice ${Date.now()}`]));
    const completion = await world.iris.client.chat.completions.create({
      model: 'text-1',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Same?' }, { type: 'image_url', image_url: { url: twice } }, { type: 'image_url', image_url: { url: twice } }] }],
    });
    assert.equal(world.visionCalls(), 1);
    const analysis = analysisOf(completion.usage);
    assert.equal(analysis.images, 2);
    assert.equal(analysis.cached_images, 1);
  });

  test('the same image in requests at the same time is described once: the others wait for that description', async () => {
    world.text.reset();
    world.vision.reset();
    world.visionGate.delayMs = 150; // all three are in before the first description comes back
    try {
      const shared = dataUrl(await renderTextPng([`Shared ${Date.now()}`]));
      const ask = (question: string) =>
        world.iris.client.chat.completions.create({
          model: 'text-1',
          messages: [{ role: 'user', content: [{ type: 'text', text: 'Read it.' }, { type: 'image_url', image_url: { url: shared } }] }],
          user: question,
        });
      const completions = await Promise.all([ask('a'), ask('b'), ask('c')]);
      assert.equal(world.visionCalls(), 1, 'one description for the three requests');
      const analyses = completions.map((c) => analysisOf(c.usage));
      assert.deepEqual(analyses.map((a) => a.cached_images).sort(), [0, 1, 1], 'paid for by one request; the others as from the cache');
      assert.equal(analyses.filter((a) => a.completion_tokens > 0).length, 1);
      const texts = world.textBodies().map((body) => (body.messages[0].content as { text: string }[])[1].text);
      assert.equal(new Set(texts).size, 1, 'all three got the same description');
      assert.ok(world.iris.logs.filter((l) => l.msg === 'analysis: image description shared').length === 2);
    } finally {
      world.visionGate.delayMs = 0;
    }
  });

  test("a request waiting for another's description makes its own when that request leaves", async () => {
    world.visionGate.delayMs = 300;
    world.visionGate.maxInFlight = 0;
    try {
      const shared = dataUrl(await renderTextPng([`Left ${Date.now()}`]));
      const messages = [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'Read it.' }, { type: 'image_url' as const, image_url: { url: shared } }] }];
      const leaving = new AbortController();
      const first = world.iris.client.chat.completions.create({ model: 'text-1', messages }, { signal: leaving.signal });
      await world.vision.until(() => world.visionGate.maxInFlight === 1); // its description is under way
      const second = world.iris.client.chat.completions.create({ model: 'text-1', messages }).withResponse();
      await new Promise((resolve) => setTimeout(resolve, 50)); // and the second waits for it
      leaving.abort();
      await assert.rejects(first, (err: Error) => err instanceof OpenAI.APIUserAbortError || err.name === 'AbortError');
      const { data: completion, response } = await second;
      const analysis = analysisOf(completion.usage);
      assert.equal(analysis.cached_images, 0, 'described for the request that stayed, not shared');
      assert.ok(analysis.completion_tokens > 0, 'and paid for by it');
      const reqId = response.headers.get('x-request-id');
      assert.ok(world.iris.logs.some((l) => l.reqId === reqId && l.msg === 'analysis: image described'));
    } finally {
      world.visionGate.delayMs = 0;
    }
  });

  test('the log shows each step with the request id', async () => {
    world.iris.logs.length = 0;
    const fresh = dataUrl(await renderTextPng([`Logged ${Date.now()}`]));
    await world.iris.client.chat.completions.create({
      model: 'text-1',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Read it.' }, { type: 'image_url', image_url: { url: fresh } }] }],
    });
    const logs = world.iris.logs;
    const found = logs.find((l) => l.msg === 'analysis: images found');
    assert.ok(found, 'images found is logged');
    const reqId = found.reqId;
    assert.match(String(reqId), /^req_/);
    const mine = logs.filter((l) => l.reqId === reqId);
    assert.equal(found.images, 1);
    assert.equal(found.analysis_model, 'vision-1');
    const cache = mine.find((l) => l.msg === 'analysis: cache checked');
    assert.equal(cache?.cache_hits, 0);
    const described = mine.find((l) => l.msg === 'analysis: image described');
    assert.ok(described);
    assert.equal(typeof described.ms, 'number');
    assert.ok((described.prompt_tokens as number) > 0);
    assert.ok((described.completion_tokens as number) > 0);
    const done = mine.find((l) => l.msg === 'analysis: done; calling the text model');
    assert.equal(done?.text_model, 'text-1');
    // The description's call has a line of its own; the answer's model is on the request's line.
    const completed = mine.filter((l) => l.msg === 'chat completed').map((l) => l.model);
    assert.deepEqual(completed, ['vision-1']);
    const [request] = await world.iris.logged((l) => l.reqId === reqId && l.msg === 'request');
    assert.equal(request?.model, 'text-1');
    // Never the image bytes.
    assert.ok(!JSON.stringify(mine).includes(fresh.slice(30, 90)));
  });
});

describe('analysis.max_images', () => {
  test('a request with more images than analysis.max_images is a 400 too_many_images, before any is described', async () => {
    const world = await startAnalysisWorld({ max_images: 2 });
    try {
      const urls = await Promise.all([1, 2, 3].map(async (n) => dataUrl(await renderTextPng([`Page ${n}`]))));
      const err = await world.iris.client.chat.completions
        .create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'Read.' }, ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } }))] }] })
        .then(() => null, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.BadRequestError, String(err));
      assert.equal(err.code, 'too_many_images');
      assert.match(err.message, /at most 2 images/);
      assert.equal(world.visionCalls(), 0);
    } finally {
      await world.close();
    }
  });
});

describe('analysis mode failures', () => {
  test('auto off: 400 naming the -ocr variant, with the first image as param', async () => {
    const world = await startAnalysisWorld({ auto: false });
    try {
      const image = dataUrl(await renderTextPng(['no auto']));
      const err = await world.iris.client.chat.completions
        .create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: image } }] }] })
        .then(() => null, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'model_not_vision_capable');
      assert.equal(err.param, 'messages[0].content[1].image_url.url');
      assert.match(err.message, /`text-1-ocr`/);
      assert.equal(world.visionCalls(), 0);
      // `-ocr` still works with auto off.
      const ok = await world.iris.client.chat.completions.create({ model: 'text-1-ocr', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }] }] });
      assert.equal(analysisOf(ok.usage).images, 1);
    } finally {
      await world.close();
    }
  });

  test('on_error fail (default): the analysis model failing is a 502 naming it and the image', async () => {
    const world = await startAnalysisWorld();
    try {
      world.vision.script({ kind: 'error', status: 500 });
      const ok = dataUrl(await renderTextPng(['fine']));
      const err = await world.iris.client.chat.completions
        .create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: ok } }] }] })
        .then(() => null, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 502);
      assert.equal(err.code, 'analysis_failed');
      assert.equal(err.param, 'messages[0].content[1].image_url.url');
      assert.match(err.message, /`vision-1`/);
      assert.match(err.message, /image 1/);
      assert.equal(world.textBodies().length, 0, 'the text model is not called');
    } finally {
      await world.close();
    }
  });

  test('on_error fail with several images: the failing one is named, the others are stopped', async () => {
    const world = await startAnalysisWorld({ concurrency: 1 });
    try {
      world.vision.script([{ kind: 'ok' }, { kind: 'error', status: 500 }]);
      const stamp = Date.now();
      const urls = await Promise.all([1, 2, 3].map(async (n) => dataUrl(await renderTextPng([`Several ${n} ${stamp}`]))));
      const err = await world.iris.client.chat.completions
        .create({ model: 'text-1', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, ...urls.map((url) => ({ type: 'image_url' as const, image_url: { url } }))] }] })
        .then(() => null, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 502);
      // One at a time, in order: image 1 described, image 2 failed, image 3 never asked for.
      assert.equal(err.param, 'messages[0].content[2].image_url.url');
      assert.match(err.message, /image 2/);
      assert.equal(world.visionCalls(), 2);
      assert.equal(world.textBodies().length, 0);
    } finally {
      await world.close();
    }
  });

  test('on_error fail: a timeout is a 504, within the configured time', async () => {
    const world = await startAnalysisWorld({ timeout_ms: 300 });
    try {
      world.vision.script({ kind: 'hang' });
      const image = dataUrl(await renderTextPng(['slow']));
      const t0 = performance.now();
      const err = await world.iris.client.chat.completions
        .create({ model: 'text-1-ocr', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }, { type: 'text', text: 'hi' }] }] })
        .then(() => null, (e: unknown) => e);
      const ms = performance.now() - t0;
      assert.ok(err instanceof OpenAI.APIError);
      assert.equal(err.status, 504);
      assert.equal(err.type, 'timeout_error');
      assert.equal(err.code, 'analysis_timeout');
      assert.equal(err.param, 'messages[0].content[0].image_url.url');
      assert.match(err.message, /`vision-1`.*timed out after 300 ms/);
      assert.ok(ms >= 300 && ms < 3000, `answered in ${Math.round(ms)} ms`);
    } finally {
      await world.close();
    }
  });

  test('on_error skip: the failed image becomes a note and the request goes on', async () => {
    const world = await startAnalysisWorld({ on_error: 'skip', timeout_ms: 300 });
    try {
      world.vision.script([{ kind: 'error', status: 500 }]);
      world.visionGate.delayMs = 50; // both images reach the analysis model before either answers
      const a = dataUrl(await renderTextPng([`A ${Date.now()}`]));
      const b = dataUrl(await renderTextPng([`B ${Date.now()}`]));
      const completion = await world.iris.client.chat.completions.create({
        model: 'text-1',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Both?' }, { type: 'image_url', image_url: { url: a } }, { type: 'image_url', image_url: { url: b } }] }],
      });
      world.visionGate.delayMs = 0;
      const [textBody] = world.textBodies();
      assert.equal(imagePartsIn(textBody).length, 0);
      const parts = (textBody.messages[0].content as { text: string }[]).slice(1).map((p) => p.text);
      const failed = parts.filter((t) => /^\[Image \d could not be analysed by vision-1 \(.+\); its content is unknown\.\]$/.test(t));
      const described = parts.filter((t) => /^\[Image \d: description by vision-1/.test(t));
      assert.equal(failed.length, 1);
      assert.equal(described.length, 1);
      const analysis = analysisOf(completion.usage);
      assert.equal(analysis.images, 2);
      assert.equal(analysis.cached_images, 0);
      assert.ok(analysis.prompt_tokens > 0, 'the described image is paid for');
      const failedImage = failed[0].includes('Image 1') ? a : b;
      // A failure is not cached: the next request tries again and succeeds.
      const again = await world.iris.client.chat.completions.create({
        model: 'text-1',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Both?' }, { type: 'image_url', image_url: { url: failedImage } }] }],
      });
      assert.equal(world.visionCalls(), 3);
      assert.match(textIn(world.textBodies()[1]), /\[Image 1: description by vision-1/);
      assert.equal(analysisOf(again.usage).cached_images, 0);
    } finally {
      await world.close();
    }
  });
});
