// Every provider type answers with the same usage breakdown and a system_fingerprint, streamed
// or not: the chat core fills what an upstream leaves out, whatever its dialect.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import { dataUrl, makeImage } from '../../src/images/testing/test-images.ts';
import { PROVIDERS, type Harness } from '../conformance/provider-descriptors.ts';
import { assertChatCompletion, assertChatCompletionChunk } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

function assertBreakdown(usage: OpenAI.CompletionUsage | null | undefined, withImage: boolean): void {
  assert.ok(usage, 'usage is present');
  const details = usage.prompt_tokens_details as Record<string, number> | undefined;
  for (const key of ['cached_tokens', 'text_tokens', 'image_tokens']) assert.equal(typeof details?.[key], 'number', `prompt_tokens_details.${key}`);
  assert.equal(typeof usage.completion_tokens_details?.reasoning_tokens, 'number', 'completion_tokens_details.reasoning_tokens');
  if (withImage) assert.ok(details!.image_tokens > 0, 'the image is counted');
  else assert.equal(details!.image_tokens, 0);
  // As OpenAI reports them: text, image and audio tokens make up the prompt (cached tokens are
  // among them), reasoning is part of the completion, and the total is the two added.
  assert.equal(details!.text_tokens + details!.image_tokens + (details!.audio_tokens ?? 0), usage.prompt_tokens, 'text + image + audio = prompt');
  assert.ok(details!.cached_tokens <= usage.prompt_tokens);
  assert.ok(usage.completion_tokens_details!.reasoning_tokens! <= usage.completion_tokens);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
}

for (const descriptor of PROVIDERS) {
  describe(`usage breakdown and fingerprint: ${descriptor.name}`, { timeout: (descriptor.startupMs ?? 0) + 60_000 }, () => {
    let harness: Harness;
    let iris: RunningIris;
    let image: string;
    before(async () => {
      image = dataUrl(await makeImage('png', 320, 240));
      harness = await descriptor.start();
      iris = await startIris(harness.config);
    });
    after(async () => {
      await iris?.close();
      await harness?.close();
    });

    const ask = (withImage: boolean): OpenAI.Chat.Completions.ChatCompletionMessageParam[] => [
      { role: 'user', content: withImage ? [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: image } }] : 'Say hello.' },
    ];

    for (const withImage of [true, false]) {
      it(`non-streamed, ${withImage ? 'with' : 'without'} an image`, async () => {
        const completion = await iris.client.chat.completions.create({ model: harness.model, messages: ask(withImage) });
        assertChatCompletion(completion);
        assert.match(completion.system_fingerprint ?? '', /^fp_/);
        assertBreakdown(completion.usage, withImage);
      });

      it(`streamed, ${withImage ? 'with' : 'without'} an image`, async () => {
        const stream = await iris.client.chat.completions.create({ model: harness.model, messages: ask(withImage), stream: true, stream_options: { include_usage: true } });
        const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
        for await (const chunk of stream) {
          assertChatCompletionChunk(chunk);
          chunks.push(chunk);
        }
        assert.ok(chunks.every((c) => /^fp_/.test(c.system_fingerprint ?? '')), 'every chunk has a fingerprint');
        assert.equal(chunks[0].choices[0].delta.role, 'assistant');
        // include_usage: one extra chunk at the end with empty choices; usage null on all others.
        assert.deepEqual(chunks.at(-1)!.choices, []);
        assert.ok(chunks.slice(0, -1).every((c) => c.usage === null), 'usage is null on every other chunk');
        assertBreakdown(chunks.at(-1)!.usage, withImage);
      });
    }

    it('n = 2: the same breakdown, streamed or not; an upstream that answers n itself bills the prompt once', async () => {
      const one = await iris.client.chat.completions.create({ model: harness.model, messages: ask(true) });
      const two = await iris.client.chat.completions.create({ model: harness.model, messages: ask(true), n: 2 });
      assert.equal(two.choices.length, 2);
      assertBreakdown(two.usage, true);
      const [oneDetails, twoDetails] = [one.usage!.prompt_tokens_details as Record<string, number>, two.usage!.prompt_tokens_details as Record<string, number>];
      if (descriptor.nativeN) {
        assert.equal(two.usage!.prompt_tokens, one.usage!.prompt_tokens, 'the prompt is counted once');
        assert.deepEqual(twoDetails, oneDetails);
      } else {
        // Anthropic has no n: Iris makes n calls, each billed for the whole prompt, its image too.
        assert.equal(two.usage!.prompt_tokens, 2 * one.usage!.prompt_tokens, 'the prompt is billed once per call');
        assert.equal(twoDetails.image_tokens, 2 * oneDetails.image_tokens, "so is the prompt's image");
        assert.equal(twoDetails.text_tokens, 2 * oneDetails.text_tokens);
      }
      const stream = await iris.client.chat.completions.create({ model: harness.model, messages: ask(true), n: 2, stream: true, stream_options: { include_usage: true } });
      let last: OpenAI.Chat.Completions.ChatCompletionChunk | undefined;
      for await (const chunk of stream) last = chunk;
      assertBreakdown(last?.usage, true);
    });

    it("one log line per request carries the answer's model, provider and tokens, streamed or not", async () => {
      const plain = await iris.client.chat.completions.create({ model: harness.model, messages: ask(true) }).withResponse();
      const streamed = await iris.client.chat.completions.create({ model: harness.model, messages: ask(false), stream: true }).withResponse();
      for await (const _ of streamed.data);
      for (const { response } of [plain, streamed]) {
        const reqId = response.headers.get('x-request-id');
        // A stream's line is written once its response has ended, a moment after the client read the end.
        const [line, ...more] = await iris.logged((l) => l.reqId === reqId && (l.level as number) >= 30);
        assert.deepEqual(more, [], 'one line, not one for the request and one for the answer');
        assert.equal(line.msg, 'request');
        assert.equal(line.status, 200);
        assert.equal(line.model, harness.model);
        assert.equal(typeof line.provider, 'string');
        for (const key of ['prompt_tokens', 'completion_tokens', 'image_tokens', 'ms']) assert.equal(typeof line[key], 'number', key);
        assert.ok((line.prompt_tokens as number) > 0);
      }
    });
  });
}
