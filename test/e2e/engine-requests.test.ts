// The embedded engine as a client of OpenAI's API sees it, through the official SDK: the request
// controls it honours or refuses, conversations, usage, and answers checked against the labelled
// photos and scans of ../shared/testdata.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { countTokens } from '../../src/chat/count-tokens.ts';
import { COCO_CLASSES, plural, singular } from '../../src/engine/compose/coco-vocabulary.ts';
import { assertChatCompletion, assertChatCompletionChunk } from '../support/openai-schemas.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

const TESTDATA = new URL('../../../shared/testdata/', import.meta.url);
const present = existsSync(new URL('labels.json', TESTDATA));

interface Label {
  objects: Record<string, [number, number]>;
  aliases?: Record<string, string[]>;
  optional?: string[];
  text?: string[];
}
const labels: Record<string, Label> = present ? JSON.parse(readFileSync(new URL('labels.json', TESTDATA), 'utf8')).images : {};
const MIME: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', tif: 'image/tiff' };
const image = (file: string) => `data:${MIME[file.split('.').pop()!]};base64,${readFileSync(new URL(`images/${file}`, TESTDATA)).toString('base64')}`;

type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;
const user = (text: string | null, ...files: string[]): Message => ({
  role: 'user',
  content: [...(text === null ? [] : [{ type: 'text' as const, text }]), ...files.map((f) => ({ type: 'image_url' as const, image_url: { url: image(f) } }))],
});
const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: {} } } }];

/** The COCO classes an answer's "I can see …" sentence names. */
function namedClasses(answer: string): string[] {
  const seen = /I can see ([^.]*)\./.exec(answer)?.[1] ?? '';
  return COCO_CLASSES.filter((c) => new RegExp(`\\b(?:${singular(c)}|${plural(c)}|${c}s?)\\b`, 'i').test(seen));
}

describe('the engine through the OpenAI SDK', { skip: !present && 'no ../shared/testdata' }, () => {
  let iris: RunningIris;
  const ask = async (messages: Message[], extra: Partial<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming> = {}) => {
    const completion = await iris.client.chat.completions.create({ model: 'Image-Recognition', messages, ...extra });
    assertChatCompletion(completion);
    return completion;
  };
  const answer = async (messages: Message[]) => (await ask(messages)).choices[0]!.message.content ?? '';

  before(async () => {
    iris = await startIris({ engine: { enabled: true, threads: 2 } });
  });
  after(() => iris?.close());

  it('counts people, and reads text word for word, as labels.json says', async () => {
    assert.equal(await answer([user('How many people are there?', 'two_people.jpg')]), 'There are 2 people.');
    assert.equal(await answer([user('How many people are in this photo?', 'person.jpg')]), 'There is one person.');
    assert.match(await answer([user('How many people can you see?', 'horses.jpg')]), /^I don't see any people\./);
    const horses = /There are (\d+) horses/.exec(await answer([user('How many horses are there?', 'horses.jpg')]));
    const [min, max] = labels['horses.jpg']!.objects.horse!;
    assert.ok(horses && Number(horses[1]) >= min && Number(horses[1]) <= max, String(horses));
    assert.equal(await answer([user('What does the text say?', 'HelloGoogle.tif')]), 'The text reads: "Hello Google".');
    const page = await answer([user("What's written here?", 'phototest.tif')]);
    assert.deepEqual(page.split('\n').slice(1), labels['phototest.tif']!.text);
  });

  it("answers \"what's in this picture?\" with a description that names only what is there", async () => {
    for (const file of ['dog.jpg', 'person.jpg', 'horses.jpg', 'eagle.jpg', 'scream.jpg', 'two_people.jpg']) {
      const label = labels[file]!;
      const a = await answer([user("What's in this picture?", file)]);
      assert.match(a, /^This is a (landscape|portrait|square) JPEG image/, `${file}: ${a}`);
      const allowed = new Set([...Object.keys(label.objects), ...Object.values(label.aliases ?? {}).flat(), ...(label.optional ?? [])]);
      for (const c of namedClasses(a)) assert.ok(allowed.has(c), `${file}: names ${c}: ${a}`);
    }
  });

  it('answers yes/no and colour questions from the findings', async () => {
    assert.equal(await answer([user('Is there a dog?', 'dog.jpg')]), 'Yes, I can see a dog.');
    assert.match(await answer([user('Is a dog in the picture?', 'horses.jpg')]), /^No, I don't see any dogs\./);
    assert.match(await answer([user('Is there a cat or a dog?', 'person.jpg')]), /^Yes, I can see a dog, but no cats\.$/);
    assert.match(await answer([user('What colour is the car?', 'dog.jpg')]), /the area where I see it is mostly white/);
    assert.match(await answer([user('What colour is the car?', 'eagle.jpg')]), /^I don't see any car, so I can't tell its colour\./);
    // The bicycle's area is too mixed to name a colour: it is still there.
    assert.match(await answer([user('What colour is the bicycle?', 'dog.jpg')]), /^I can see a bicycle|^I can't measure the colour of the bicycle/);
  });

  it('answers a follow-up about the picture of an earlier turn, and a question sent just before its image', async () => {
    const followUp = await answer([user('What is this?', 'horses.jpg'), { role: 'assistant', content: 'Horses in a field.' }, user('How many are there?')]);
    assert.match(followUp, /^I can see \d+ horses\.$/);
    assert.equal(await answer([{ role: 'system', content: 'Be brief.' }, user('How many people are there?'), user(null, 'two_people.jpg')]), 'There are 2 people.');
    const two = await answer([user('How many horses?', 'dog.jpg', 'horses.jpg')]);
    assert.match(two, /^Image 1: I don't see any horses\. .*\n\nImage 2: There are \d+ horses\.$/s);
  });

  it('refuses a forced tool call with a 400, and answers in text when tools are optional', async () => {
    for (const tool_choice of ['required', { type: 'function', function: { name: 'lookup' } }] as const) {
      await assert.rejects(ask([user('Is there a dog?', 'dog.jpg')], { tools, tool_choice }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError, String(err));
        assert.equal(err.param, 'tool_choice');
        assert.match(err.message, /cannot call tools/);
        return true;
      });
    }
    const c = await ask([user('Is there a dog?', 'dog.jpg')], { tools, tool_choice: 'auto' });
    assert.equal(c.choices[0]!.message.content, 'Yes, I can see a dog.');
    assert.equal(c.choices[0]!.message.tool_calls, undefined);
    assert.equal(c.choices[0]!.finish_reason, 'stop');
  });

  it('follows a strict JSON schema (the SDK parses it with zod), or refuses one it cannot fill', async () => {
    const Findings = z.object({ answer: z.string(), images: z.array(z.object({ objects: z.array(z.object({ label: z.string(), count: z.number().int() })) })) });
    const parsed = await iris.client.chat.completions.parse({
      model: 'Image-Recognition',
      messages: [user('How many horses?', 'horses.jpg')],
      response_format: zodResponseFormat(Findings, 'findings'),
    });
    const result = parsed.choices[0]!.message.parsed!;
    assert.match(result.answer, /^There are \d+ horses\.$/);
    assert.deepEqual(Object.keys(result.images[0]!), ['objects']);
    assert.equal(result.images[0]!.objects[0]!.label, 'horse');
    await assert.rejects(
      iris.client.chat.completions.parse({ model: 'Image-Recognition', messages: [user('How many horses?', 'horses.jpg')], response_format: zodResponseFormat(z.object({ count: z.number() }), 'count') }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'response_format.json_schema.schema' && /"answer"/.test(err.message),
    );
  });

  it('truncates at max_tokens and cuts at stop sequences, with matching usage, streamed or not', async () => {
    const messages = [user('Describe this image.', 'dog.jpg')];
    const whole = await ask(messages, { seed: 7, temperature: 1.3, top_p: 0.5 });
    const cut = await ask(messages, { max_completion_tokens: 7 });
    assert.equal(cut.choices[0]!.finish_reason, 'length');
    assert.equal(cut.usage!.completion_tokens, 7);
    assert.ok(whole.choices[0]!.message.content!.startsWith(cut.choices[0]!.message.content!));
    const stopped = await ask(messages, { stop: ['pixels'], n: 2 });
    assert.deepEqual(stopped.choices.map((c) => [c.index, c.finish_reason]), [[0, 'stop'], [1, 'stop']]);
    assert.match(stopped.choices[1]!.message.content!, /^This is a landscape JPEG image, \d+×\d+ $/);
    assert.equal(stopped.usage!.completion_tokens, 2 * countTokens(stopped.choices[0]!.message.content!));

    const stream = await iris.client.chat.completions.create({ model: 'Image-Recognition', messages, max_tokens: 7, stream: true, stream_options: { include_usage: true } });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.finish_reason) finishes.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(text, cut.choices[0]!.message.content);
    assert.deepEqual(finishes, ['length']);
    assert.deepEqual(usage, cut.usage);
  });

  it('counts the prompt text and the images in prompt_tokens, and the answer in completion_tokens', async () => {
    const question = 'How many horses are there?';
    const c = await ask([user(question, 'horses.jpg')]);
    const text = 3 + 3 + countTokens(question);
    const details = c.usage!.prompt_tokens_details as { text_tokens: number; image_tokens: number };
    assert.equal(details.text_tokens, text);
    assert.ok(details.image_tokens > 0);
    assert.equal(c.usage!.prompt_tokens, text + details.image_tokens);
    assert.equal(c.usage!.completion_tokens, countTokens(c.choices[0]!.message.content!));
    assert.equal(c.usage!.total_tokens, c.usage!.prompt_tokens + c.usage!.completion_tokens);
  });
});
