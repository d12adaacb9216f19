// serializeJson: JSON text for an upstream body, with the client's long data URLs written as
// the client's own bytes. The pieces must always concatenate to valid JSON of the value.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { cutLongDataUrls, restoreDataUrls } from './cut-data-urls.ts';
import { serializeJson, type SerializedJson } from './serialize-json.ts';
import { MIN_VERBATIM_CHARS, type VerbatimString } from './verbatim-strings.ts';

function dataUrl(type = 'image/png', bytes = 40_000): string {
  return `data:${type};base64,${randomBytes(bytes).toString('base64')}`;
}

type Request = { model: string; messages: { role: string; content: unknown }[]; [key: string]: unknown };

const image = (url: string) => ({ type: 'image_url', image_url: { url } });

/** What the body parser hands on: the parsed request and its verbatim strings. */
function parseClientBody(value: unknown): { request: Request; verbatim: VerbatimString[]; body: Buffer } {
  const body = Buffer.from(JSON.stringify(value));
  const cut = cutLongDataUrls(body);
  assert.ok(cut);
  const request = JSON.parse(cut.skeleton) as Request;
  const verbatim = restoreDataUrls(request, cut);
  assert.ok(verbatim);
  return { request, verbatim, body };
}

function assertPieces(out: string | SerializedJson): SerializedJson {
  assert.equal(typeof out, 'object', 'spliced pieces, not a string');
  const result = out as SerializedJson;
  assert.ok(result.pieces.every((p) => Buffer.isBuffer(p)));
  return result;
}

/** The bytes the upstream would receive, checked to be JSON of `value` with the declared length. */
function received(out: SerializedJson, value: unknown): Buffer {
  const bytes = Buffer.concat(out.pieces);
  assert.equal(out.length, bytes.length, 'length is the byte length of the pieces');
  assert.deepEqual(JSON.parse(bytes.toString('utf8')), JSON.parse(JSON.stringify(value)));
  // Byte for byte what JSON.stringify writes (the client's data URLs hold nothing to escape).
  assert.equal(bytes.toString('utf8'), JSON.stringify(value));
  return bytes;
}

describe('serializeJson', () => {
  it('without verbatim strings it is JSON.stringify', () => {
    const value = { model: 'm', messages: [{ role: 'user', content: 'ü ✓ 日本語' }] };
    assert.equal(serializeJson(value, undefined), JSON.stringify(value));
    assert.equal(serializeJson(value, []), JSON.stringify(value));
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
    const bytes = received(out, upstream);
    assert.equal(out.pieces.length, 3, 'before, the data URL, after');
    assert.equal(out.pieces[1], verbatim[0].json, 'the very buffer of the client body: not copied');
    assert.ok(bytes.includes(`"url":"${url}"`));
    assert.ok(!bytes.includes('iris-verbatim'), 'no placeholder left');
  });

  it('several data URLs in several messages, in document order even when the verbatim list is not', () => {
    const urls = [dataUrl(), dataUrl('image/jpeg', 50_000), dataUrl('image/webp', 33_000)];
    const { request, verbatim } = parseClientBody({
      model: 'm',
      messages: [
        { role: 'user', content: [image(urls[0]), { type: 'text', text: 'a' }, image(urls[1])] },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [image(urls[2])] },
      ],
    });
    const reversed = [...verbatim].reverse();
    const out = assertPieces(serializeJson(request, reversed));
    received(out, request);
    const spliced = out.pieces.filter((p) => verbatim.some((v) => v.json === p));
    assert.deepEqual(
      spliced.map((p) => verbatim.findIndex((v) => v.json === p)),
      [0, 1, 2],
    );
  });

  it('a verbatim string used twice is spliced twice, the same buffer both times', () => {
    const url = dataUrl();
    const { request, verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(url)] }] });
    assert.equal(verbatim.length, 1);
    // The same string sent on at two places (e.g. a message repeated by a rewrite step).
    const upstream = { ...request, messages: [...request.messages, ...request.messages] };
    const out = assertPieces(serializeJson(upstream, verbatim));
    received(out, upstream);
    assert.equal(out.pieces.filter((p) => p === verbatim[0].json).length, 2);
  });

  it('a verbatim string that is not in the value: plain JSON.stringify text', () => {
    const url = dataUrl();
    const { request, verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(url)] }] });
    // The image was converted: a new data URL replaced the client's.
    const converted = dataUrl('image/jpeg');
    const upstream = { ...request, messages: [{ role: 'user', content: [image(converted)] }] };
    const out = serializeJson(upstream, verbatim);
    assert.equal(typeof out, 'string');
    assert.equal(out, JSON.stringify(upstream));
  });

  it('a different string of equal length: not spliced', () => {
    const url = dataUrl();
    const { verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(url)] }] });
    const other = `${url.slice(0, -5)}AAAA=`;
    assert.equal(other.length, url.length);
    assert.notEqual(other, url);
    const value = { messages: [{ role: 'user', content: [image(other)] }] };
    assert.equal(serializeJson(value, verbatim), JSON.stringify(value));
  });

  it('an equal string that is a different copy is matched by value (=== on strings) and spliced', () => {
    // Strings have no identity in JS: an equal copy (here rebuilt from its halves) is the same
    // value, and its JSON text is the client's text, so splicing it is correct.
    const url = dataUrl();
    const { verbatim } = parseClientBody({ model: 'm', messages: [{ role: 'user', content: [image(url)] }] });
    const half = url.length >> 1;
    const copy = [url.slice(0, half), url.slice(half)].join('');
    const value = { model: 'm', messages: [{ role: 'user', content: [image(copy)] }] };
    const out = assertPieces(serializeJson(value, verbatim));
    received(out, value);
    assert.ok(out.pieces.includes(verbatim[0].json));
  });

  it('the spliced bytes are the VerbatimString json as given, not a re-serialization of the value', () => {
    // The contract: json must be the JSON text of value. Proven here by breaking it on purpose.
    const value = 'A'.repeat(MIN_VERBATIM_CHARS);
    const json = Buffer.from('B'.repeat(MIN_VERBATIM_CHARS));
    const out = assertPieces(serializeJson({ x: value }, [{ value, json }]));
    assert.equal(Buffer.concat(out.pieces).toString(), `{"x":"${'B'.repeat(MIN_VERBATIM_CHARS)}"}`);
    assert.equal(out.pieces[1], json);
  });

  it('a verbatim string as the root value, inside arrays and beside object keys equal to it', () => {
    const url = dataUrl();
    const json = Buffer.from(url);
    const verbatim = [{ value: url, json }];
    const root = assertPieces(serializeJson(url, verbatim));
    assert.equal(Buffer.concat(root.pieces).toString(), JSON.stringify(url));
    // An object key equal to the string is written by JSON.stringify (keys are not values).
    const value = { [url]: [url, 1, { a: url }], list: [[url]] };
    const out = assertPieces(serializeJson(value, verbatim));
    received(out, value);
    assert.equal(out.pieces.filter((p) => p === json).length, 3);
  });

  it('strings shorter than MIN_VERBATIM_CHARS are never spliced', () => {
    const value = 'short';
    assert.equal(serializeJson({ value }, [{ value, json: Buffer.from('other') }]), '{"value":"short"}');
  });

  it('non-ASCII text on both sides of a splice is UTF-8 in the pieces', () => {
    const url = dataUrl();
    const { request, verbatim } = parseClientBody({
      model: '日本語',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'ünïcödé ✓' }, image(url), { type: 'text', text: '🖼️ 画像' }] }],
    });
    const out = assertPieces(serializeJson(request, verbatim));
    const bytes = received(out, request);
    assert.ok(bytes.includes(Buffer.from('ünïcödé ✓')));
    assert.ok(bytes.includes(Buffer.from('🖼️ 画像')));
  });

  it('many verbatim strings (indices of two digits) keep their order', () => {
    const urls = Array.from({ length: 12 }, () => dataUrl('image/png', 25_000));
    const { request, verbatim } = parseClientBody({ model: 'm', messages: urls.map((url) => ({ role: 'user', content: [image(url)] })) });
    assert.equal(verbatim.length, 12);
    const out = assertPieces(serializeJson(request, verbatim));
    received(out, request);
    assert.deepEqual(
      out.pieces.filter((_, i) => i % 2 === 1),
      verbatim.map((v) => v.json),
    );
  });
});
