// serializeJson: JSON text for an upstream body, with the placeholders of the client's long
// data URLs written as the client's own bytes. The pieces must always concatenate to valid
// JSON of the request as the client meant it.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { cutLongDataUrls, matchPlaceholders } from './cut-data-urls.ts';
import { serializeJson, type SerializedJson } from './serialize-json.ts';
import { MIN_VERBATIM_CHARS, placeholder, verbatimText, type VerbatimString } from './verbatim-strings.ts';

function dataUrl(type = 'image/png', bytes = 40_000): string {
  return `data:${type};base64,${randomBytes(bytes).toString('base64')}`;
}

type Request = { model: string; messages: { role: string; content: unknown }[]; [key: string]: unknown };

const image = (url: string) => ({ type: 'image_url', image_url: { url } });

/** What the body parser hands on: the parsed request (placeholders in it) and its verbatim strings. */
function parseClientBody(value: unknown): { request: Request; verbatim: VerbatimString[]; body: Buffer } {
  const body = Buffer.from(JSON.stringify(value));
  const cut = cutLongDataUrls(body);
  assert.ok(cut);
  const request = JSON.parse(cut.skeleton) as Request;
  const verbatim = matchPlaceholders(request, cut);
  assert.ok(verbatim);
  return { request, verbatim, body };
}

/** JSON.stringify of the value with each placeholder standing for its string. */
function meant(value: unknown, verbatim: readonly VerbatimString[]): string {
  let text = JSON.stringify(value);
  verbatim.forEach((v) => {
    text = text.replaceAll(JSON.stringify(v.placeholder), JSON.stringify(verbatimText(v)));
  });
  return text;
}

function assertPieces(out: string | SerializedJson): SerializedJson {
  assert.equal(typeof out, 'object', 'spliced pieces, not a string');
  const result = out as SerializedJson;
  assert.ok(result.pieces.every((p) => Buffer.isBuffer(p)));
  return result;
}

/** The bytes the upstream would receive, checked to be the meant JSON with the declared length. */
function received(out: SerializedJson, value: unknown, verbatim: readonly VerbatimString[]): Buffer {
  const bytes = Buffer.concat(out.pieces);
  assert.equal(out.length, bytes.length, 'length is the byte length of the pieces');
  assert.equal(bytes.toString('utf8'), meant(value, verbatim));
  assert.ok(!bytes.includes('iris-verbatim'), 'no placeholder left');
  return bytes;
}

describe('serializeJson', () => {
  it('without placeholders it is JSON.stringify, whatever verbatim strings there are', () => {
    const value = { model: 'm', messages: [{ role: 'user', content: 'ü ✓ 日本語' }] };
    assert.equal(serializeJson(value, undefined), JSON.stringify(value));
    assert.equal(serializeJson(value, []), JSON.stringify(value));
    const { verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(dataUrl())] }] });
    assert.equal(serializeJson(value, verbatim), JSON.stringify(value));
  });

  it('round trip: the upstream request (model mapped, fields added) with the client data URL spliced in', () => {
    const url = dataUrl();
    const { request, verbatim } = parseClientBody({
      model: 'vision',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this? ünïcödé ✓ 日本語' }, image(url)] }],
      temperature: 0.2,
      some_extra_field: { nested: [1, 'two', null] },
    });
    // What the provider sends: a new object around the same message objects.
    const upstream = { ...request, model: 'gpt-4o', stream: false, stream_options: undefined };
    const out = assertPieces(serializeJson(upstream, verbatim));
    const bytes = received(out, upstream, verbatim);
    assert.equal(out.pieces.length, 3, 'before, the data URL, after');
    assert.equal(out.pieces[1], verbatim[0].json, 'the very buffer of the client body: not copied');
    assert.ok(bytes.includes(`"url":"${url}"`));
  });

  it('several data URLs, one of them replaced (a converted image): the others spliced in document order', () => {
    const urls = [dataUrl(), dataUrl('image/jpeg', 50_000), dataUrl('image/webp', 33_000)];
    const { request, verbatim } = parseClientBody({
      model: 'm',
      messages: [
        { role: 'user', content: [image(urls[0]), { type: 'text', text: 'a' }, image(urls[1])] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [image(urls[2])] },
      ],
    });
    const converted = `data:image/jpeg;base64,${randomBytes(100).toString('base64')}`;
    const first = request.messages[0].content as unknown[];
    const upstream = { ...request, messages: [{ ...request.messages[0], content: [first[0], first[1], image(converted)] }, ...request.messages.slice(1)] };
    const out = assertPieces(serializeJson(upstream, verbatim));
    const bytes = received(out, upstream, verbatim);
    assert.deepEqual(
      out.pieces.filter((p) => verbatim.some((v) => v.json === p)),
      [verbatim[0].json, verbatim[2].json],
    );
    assert.ok(bytes.includes(converted) && !bytes.includes(urls[1]));
  });

  it('a placeholder used twice is spliced twice, the same buffer both times', () => {
    const { request, verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(dataUrl())] }] });
    assert.equal(verbatim.length, 1);
    // The same image sent on at two places (e.g. a message repeated by a rewrite step).
    const upstream = { ...request, messages: [...request.messages, ...request.messages] };
    const out = assertPieces(serializeJson(upstream, verbatim));
    received(out, upstream, verbatim);
    assert.equal(out.pieces.filter((p) => p === verbatim[0].json).length, 2);
  });

  it('a placeholder whose string is not given is an error, never sent on', () => {
    const { request, verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(dataUrl()), image(dataUrl())] }] });
    assert.throws(() => serializeJson(request, undefined), /placeholder without its verbatim string/);
    assert.throws(() => serializeJson(request, verbatim.slice(0, 1)), /placeholder without its verbatim string/);
  });

  it('strings that only look like placeholders (another prefix) are written as they are', () => {
    const { request, verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(dataUrl())] }] });
    const lookAlikes = ['data:,iris-verbatim-xxx-0', 'data:,iris-verbatim-AAAAAAAAAAAA-0'];
    const upstream = { ...request, metadata: lookAlikes };
    const out = assertPieces(serializeJson(upstream, verbatim));
    const bytes = Buffer.concat(out.pieces).toString();
    assert.equal(bytes, meant(upstream, verbatim));
    for (const s of lookAlikes) assert.ok(bytes.includes(JSON.stringify(s)));
  });

  it('the spliced bytes are the VerbatimString json as given, not a re-serialization', () => {
    // The contract: json must be the JSON text of the string. Proven here by breaking it on purpose.
    const json = Buffer.from('B'.repeat(MIN_VERBATIM_CHARS));
    const out = assertPieces(serializeJson({ x: placeholder(0) }, [{ placeholder: placeholder(0), json }]));
    assert.equal(Buffer.concat(out.pieces).toString(), `{"x":"${'B'.repeat(MIN_VERBATIM_CHARS)}"}`);
    assert.equal(out.pieces[1], json);
  });

  it('a placeholder as the root value and inside arrays', () => {
    const url = dataUrl();
    const verbatim = [{ placeholder: placeholder(0), json: Buffer.from(url) }];
    const root = assertPieces(serializeJson(placeholder(0), verbatim));
    assert.equal(Buffer.concat(root.pieces).toString(), JSON.stringify(url));
    const value = { a: [placeholder(0), 1, { b: placeholder(0) }], list: [[placeholder(0)]] };
    const out = assertPieces(serializeJson(value, verbatim));
    received(out, value, verbatim);
    assert.equal(out.pieces.filter((p) => p === verbatim[0].json).length, 3);
  });

  it('non-ASCII text on both sides of a splice is UTF-8 in the pieces', () => {
    const url = dataUrl();
    const { request, verbatim } = parseClientBody({
      model: '日本語',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'ünïcödé ✓' }, image(url), { type: 'text', text: '🖼️ 画像' }] }],
    });
    const out = assertPieces(serializeJson(request, verbatim));
    const bytes = received(out, request, verbatim);
    assert.ok(bytes.includes(Buffer.from('ünïcödé ✓')));
    assert.ok(bytes.includes(Buffer.from('🖼️ 画像')));
  });

  it('many verbatim strings (indices of two digits) keep their order', () => {
    const urls = Array.from({ length: 12 }, () => dataUrl('image/png', 25_000));
    const { request, verbatim } = parseClientBody({ model: 'm', messages: urls.map((url) => ({ role: 'user', content: [image(url)] })) });
    assert.equal(verbatim.length, 12);
    const out = assertPieces(serializeJson(request, verbatim));
    received(out, request, verbatim);
    assert.deepEqual(
      out.pieces.filter((_, i) => i % 2 === 1),
      verbatim.map((v) => v.json),
    );
  });
});
