// Long image data URLs go through Iris as the client's own JSON bytes (cut out before
// JSON.parse, spliced back into the upstream body). Seen from outside: the upstream receives
// the very data URL the client sent, the rest of the body as usual, a correct Content-Length;
// bodies Iris cannot cut (escaped slashes) still work; broken payloads and broken JSON are
// refused before anything reaches the upstream.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OpenAI from 'openai';
import sharp from 'sharp';
import { fakeReply, type RecordedRequest } from '../support/fake-openai-upstream.ts';
import { assertChatCompletion, assertChatCompletionChunk, assertErrorResponse } from '../support/openai-schemas.ts';
import type { ChatCompletionRequest } from '../../src/openai/types.ts';
import { MIN_VERBATIM_CHARS } from '../../src/json/verbatim-strings.ts';
import { chatRequests, startStack, type Stack } from './e2e-setup.ts';

type ErrorBody = { error: { message: string; type: string; param: string | null; code: string | null } };
type Part = { type: string; text?: string; image_url?: { url: string; detail?: string } };
type SentBody = ChatCompletionRequest & Record<string, unknown>;

/** A photo-like image (noise compresses badly): hundreds of kilobytes, nothing to resize. */
async function noiseImage(width: number, height: number, format: 'jpeg' | 'png'): Promise<string> {
  const image = sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } });
  const bytes = await (format === 'jpeg' ? image.jpeg({ quality: 95 }) : image.png()).toBuffer();
  return `data:image/${format};base64,${bytes.toString('base64')}`;
}

/** The image URLs of a recorded upstream request, in order. */
function imageUrls(record: RecordedRequest): string[] {
  const body = record.body as ChatCompletionRequest;
  return body.messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Part[]).flatMap((p) => (p.type === 'image_url' ? [p.image_url!.url] : [])) : []));
}

/** The upstream got a whole JSON body of exactly Content-Length bytes, not chunked. */
function assertWholeBody(record: RecordedRequest): void {
  assert.equal(typeof record.body, 'object', 'the upstream could parse the body as JSON');
  assert.equal(record.headers['transfer-encoding'], undefined);
  // The fake parsed exactly the bytes it read; JSON.stringify of that value gives them back
  // (the data URLs hold nothing JSON would escape), so their count is known.
  assert.equal(Number(record.headers['content-length']), Buffer.byteLength(JSON.stringify(record.body)));
}

describe('long image data URLs reach the upstream byte-identical', () => {
  let stack: Stack;
  let jpeg: string;
  let png: string;

  before(async () => {
    [stack, jpeg, png] = await Promise.all([startStack(), noiseImage(800, 800, 'jpeg'), noiseImage(640, 480, 'png')]);
    // Far above the cut threshold, and a size an OpenAI-compatible upstream takes as is.
    assert.ok(jpeg.length > 10 * MIN_VERBATIM_CHARS && jpeg.length < 2_000_000, `jpeg data URL of ${jpeg.length} chars`);
    assert.ok(png.length > 10 * MIN_VERBATIM_CHARS && png.length < 2_000_000, `png data URL of ${png.length} chars`);
  });
  after(() => stack?.close());

  async function post(body: string | Buffer): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${stack.iris.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.iris.apiKey}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : new Uint8Array(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    return { status: res.status, json: JSON.parse(text) };
  }

  async function expectError(body: string | Buffer, status: number): Promise<ErrorBody['error']> {
    const seen = chatRequests(stack.upstream).length;
    const res = await post(body);
    assert.equal(res.status, status, JSON.stringify(res.json).slice(0, 500));
    assertErrorResponse(res.json);
    const { error } = res.json as ErrorBody;
    assert.doesNotMatch(error.message, /iris-verbatim/, 'no placeholder leaks into messages');
    assert.equal(chatRequests(stack.upstream).length, seen, 'nothing reached the upstream');
    return error;
  }

  it('one image through the SDK: the data URL arrives identical, the rest mapped and kept', async () => {
    stack.upstream.reset();
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'Describe images. ✓' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this? ünïcödé ✓ 日本語' },
          { type: 'image_url', image_url: { url: jpeg, detail: 'high' } },
        ],
      },
    ];
    const extra = { repetition_penalty: 1.1, iris_test_extra: { nested: ['ü', 1, null] } };
    const completion = await stack.iris.client.chat.completions.create({
      model: 'vision',
      messages,
      temperature: 0.3,
      max_tokens: 40,
      user: 'u-verbatim',
      ...extra,
    } as OpenAI.Chat.ChatCompletionCreateParamsNonStreaming);
    assertChatCompletion(completion);
    assert.equal(completion.model, 'vision');
    assert.equal(completion.choices[0].message.content, fakeReply({ model: 'gpt-4o', messages } as ChatCompletionRequest).content);

    const [record] = chatRequests(stack.upstream);
    assertWholeBody(record);
    const sent = record.body as SentBody;
    assert.deepEqual(imageUrls(record), [jpeg]);
    assert.ok(imageUrls(record)[0] === jpeg, 'byte-identical data URL');
    assert.equal(sent.model, 'gpt-4o', 'model mapped to the upstream id');
    assert.deepEqual(sent.messages, messages);
    assert.equal(sent.temperature, 0.3);
    assert.equal(sent.max_tokens, 40);
    assert.equal(sent.user, 'u-verbatim');
    assert.equal(sent.stream, false);
    for (const [key, value] of Object.entries(extra)) assert.deepEqual(sent[key], value, key);
    assert.equal(record.headers.authorization, 'Bearer sk-upstream-secret');
  });

  it('two long images in different messages arrive identical and in order', async () => {
    stack.upstream.reset();
    const body = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: png } }, { type: 'text', text: 'first' }] },
        { role: 'assistant', content: 'A picture of noise.' },
        { role: 'user', content: [{ type: 'text', text: 'and this one?' }, { type: 'image_url', image_url: { url: jpeg, detail: 'auto' } }] },
      ],
      seed: 7,
    };
    const res = await post(JSON.stringify(body));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assertChatCompletion(res.json);
    const [record] = chatRequests(stack.upstream);
    assertWholeBody(record);
    assert.deepEqual(imageUrls(record), [png, jpeg]);
    assert.deepEqual(record.body, { ...body, stream: false });
  });

  it('the same image twice in one request arrives twice', async () => {
    stack.upstream.reset();
    const part = { type: 'image_url', image_url: { url: jpeg } };
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [part, { type: 'text', text: 'twice' }, part] }] };
    const res = await post(JSON.stringify(body));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const [record] = chatRequests(stack.upstream);
    assertWholeBody(record);
    assert.deepEqual(imageUrls(record), [jpeg, jpeg]);
  });

  it('an image whose declared type is wrong is sent with the type corrected, payload unchanged', async () => {
    // The pipeline builds a new URL string: the client's bytes cannot be reused for it.
    stack.upstream.reset();
    const lying = jpeg.replace('data:image/jpeg;', 'data:image/png;');
    const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: lying } }] }] };
    const res = await post(JSON.stringify(body));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const [record] = chatRequests(stack.upstream);
    assertWholeBody(record);
    assert.deepEqual(imageUrls(record), [jpeg]);
  });

  it('a body with escaped slashes (PHP json_encode) is parsed the plain way and arrives decoded', async () => {
    stack.upstream.reset();
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'escaped ✓' }, { type: 'image_url', image_url: { url: jpeg } }] }],
    };
    const plain = JSON.stringify(body);
    const escaped = plain.replace(jpeg, jpeg.replaceAll('/', '\\/'));
    assert.ok(escaped.includes('data:image\\/jpeg;base64,') && escaped.length > plain.length);
    const res = await post(escaped);
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const [record] = chatRequests(stack.upstream);
    assertWholeBody(record);
    assert.deepEqual(imageUrls(record), [jpeg]);
    assert.deepEqual(record.body, { ...body, stream: false });
  });

  it('a long data: string in a text part beside a long image (not cut: plain parse) still works', async () => {
    stack.upstream.reset();
    const body = {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: [{ type: 'text', text: png }, { type: 'image_url', image_url: { url: jpeg } }] }],
    };
    const res = await post(JSON.stringify(body));
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const [record] = chatRequests(stack.upstream);
    assertWholeBody(record);
    assert.deepEqual(record.body, { ...body, stream: false });
  });

  describe('a broken payload in a cut data URL is refused with the image named, before the upstream', () => {
    const param = 'messages[0].content[1].image_url.url';

    /** The body with one character of the JPEG's payload (mid-way) replaced by `bytes`. */
    function corrupted(bytes: Buffer): Buffer {
      const json = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: jpeg } }] }] }));
      const at = json.indexOf(jpeg) + (jpeg.length >> 1);
      return Buffer.concat([json.subarray(0, at), bytes, json.subarray(at + bytes.length)]);
    }

    const cases: [string, Buffer][] = [
      ['a "!"', Buffer.from('!')],
      ['a raw control character (\\x01)', Buffer.from([0x01])],
      ['a raw newline', Buffer.from('\n')],
      ['a raw NUL', Buffer.from([0x00])],
      ['non-ASCII UTF-8 ("é")', Buffer.from('é')],
      ['an invalid UTF-8 byte', Buffer.from([0xff])],
      ['"=" in the middle', Buffer.from('=')],
    ];
    for (const [name, bytes] of cases) {
      it(name, async () => {
        const body = corrupted(bytes);
        const error = await expectError(body, 400);
        assert.equal(error.param, param);
        assert.equal(error.type, 'invalid_request_error');
        assert.equal(error.code, 'invalid_base64_image');
      });
    }
  });

  describe('malformed JSON in a big body is 400 invalid_json, about the client text', () => {
    const body = () => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: jpeg } }] }] });

    it('the closing brace missing', async () => {
      const error = await expectError(body().slice(0, -1), 400);
      assert.equal(error.code, 'invalid_json');
      assert.equal(error.type, 'invalid_request_error');
    });

    it('junk right after the data URL (the error text quotes that place)', async () => {
      const error = await expectError(body().replace(`"${jpeg}"`, `"${jpeg}" oops`), 400);
      assert.equal(error.code, 'invalid_json');
    });

    it('a trailing comma after the messages', async () => {
      const error = await expectError(body().replace(/]}$/, '],}'), 400);
      assert.equal(error.code, 'invalid_json');
    });

    it('a raw control character in a text part is still invalid JSON (only cut strings skip JSON.parse)', async () => {
      const error = await expectError(body().replace('"text":"hi"', '"text":"h\u0001i"'), 400);
      assert.equal(error.code, 'invalid_json');
    });

    it('a raw control character in the data URL header: not cut, invalid JSON', async () => {
      const error = await expectError(body().replace('data:image/jpeg;', 'data:image/jpeg\u0001;'), 400);
      assert.equal(error.code, 'invalid_json');
    });

    it('__proto__ beside a long image is still refused', async () => {
      const text = body().replace('{"model"', '{"__proto__":{"admin":true},"model"');
      const error = await expectError(text, 400);
      assert.equal(error.type, 'invalid_request_error');
    });
  });

  it('a streamed request with a long image: the data URL arrives identical', async () => {
    stack.upstream.reset();
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: 'user', content: [{ type: 'image_url', image_url: { url: png } }, { type: 'text', text: 'stream it ✓' }] },
    ];
    const stream = await stack.iris.client.chat.completions.create({ model: 'vision', messages, stream: true });
    let text = '';
    for await (const chunk of stream) {
      assertChatCompletionChunk(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    assert.equal(text, fakeReply({ model: 'gpt-4o', messages } as ChatCompletionRequest).content);
    const [record] = chatRequests(stack.upstream);
    assertWholeBody(record);
    assert.ok(imageUrls(record)[0] === png);
    const sent = record.body as SentBody;
    assert.equal(sent.model, 'gpt-4o');
    assert.equal(sent.stream, true);
    assert.deepEqual(sent.stream_options, { include_usage: true });
    assert.deepEqual(sent.messages, messages);
  });

  it('many requests at once each get their own image (no mix-up of client bodies)', async () => {
    stack.upstream.reset();
    const urls = [jpeg, png, jpeg.replace('data:image/jpeg;', 'data:image/jpeg;name=x;'), png.replace('data:image/png;', 'data:image/png;q=1;')];
    const replies = await Promise.all(
      urls.map((url, i) =>
        post(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: [{ type: 'text', text: `request ${i}` }, { type: 'image_url', image_url: { url } }] }] })),
      ),
    );
    for (const r of replies) assert.equal(r.status, 200, JSON.stringify(r.json));
    const records = chatRequests(stack.upstream);
    assert.equal(records.length, urls.length);
    for (const record of records) {
      assertWholeBody(record);
      const body = record.body as ChatCompletionRequest;
      const i = Number(((body.messages[0].content as Part[])[0].text ?? '').split(' ')[1]);
      assert.deepEqual(imageUrls(record), [urls[i]], `request ${i}`);
    }
  });
});
