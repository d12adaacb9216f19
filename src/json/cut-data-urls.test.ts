// Cutting long data URLs out of a raw JSON body, leaving placeholders: expanded again, the
// result must be exactly what JSON.parse gives for the whole body, and anything unusual must
// make the cut give up (null) so that the caller parses the body the plain way.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeDataUrl } from '../images/data-url.ts';
import type { ChatCompletionRequest } from '../openai/types.ts';
import { cutLongDataUrls, matchPlaceholders, type CutBody } from './cut-data-urls.ts';
import { expandPlaceholders } from './expand-placeholders.ts';
import { MIN_VERBATIM_CHARS, placeholder, verbatimText, type VerbatimString } from './verbatim-strings.ts';

/** A data URL of real base64 (random bytes: every base64 character, `/` and `+` included). */
function dataUrl(type = 'image/png', bytes = 40_000): string {
  return `data:${type};base64,${randomBytes(bytes).toString('base64')}`;
}

/** A data URL of exactly `chars` characters. */
function dataUrlOfLength(chars: number): string {
  const head = 'data:image/png;base64,';
  return head + 'A'.repeat(chars - head.length);
}

const image = (url: string, extra: Record<string, unknown> = {}) => ({ type: 'image_url', image_url: { url, ...extra } });
const text = (t: string) => ({ type: 'text', text: t });
const request = (...messages: unknown[]) => ({ model: 'gpt-4o', messages });
const user = (...content: unknown[]) => ({ role: 'user', content });

/** What the body parser does: cut, parse the skeleton, match placeholders. Null means "parse plainly". */
function cutParseRestore(body: Buffer): { value: unknown; verbatim: VerbatimString[]; cut: CutBody } | null {
  const cut = cutLongDataUrls(body);
  if (!cut) return null;
  const value: unknown = JSON.parse(cut.skeleton);
  const verbatim = matchPlaceholders(value, cut);
  return verbatim ? { value, verbatim, cut } : null;
}

/** Cut+parse+match must succeed and, expanded, give exactly JSON.parse(body). */
function roundTrip(json: string, expectedCuts: number) {
  const body = Buffer.from(json);
  const result = cutParseRestore(body);
  assert.ok(result, 'the body is cut and its placeholders matched');
  assert.deepEqual(expandPlaceholders(result.value as ChatCompletionRequest, result.verbatim), JSON.parse(json));
  assert.equal(result.verbatim.length, expectedCuts);
  assert.equal(result.cut.spans.length, expectedCuts);
  result.verbatim.forEach((v, i) => {
    // The kept JSON text is a view of the client's body (no copy); its placeholder is the i-th.
    assert.equal(v.json.buffer, body.buffer, 'a view of the body, not a copy');
    assert.equal(v.placeholder, placeholder(i));
    assert.ok(v.json.length >= MIN_VERBATIM_CHARS);
  });
  // The parsed request holds the placeholders, not the megabytes.
  const parsed = JSON.stringify(result.value);
  result.verbatim.forEach((v) => assert.ok(parsed.includes(`"${v.placeholder}"`)));
  // JSON.parse saw a skeleton without the megabytes.
  assert.ok(result.cut.skeleton.length < body.length - expectedCuts * (MIN_VERBATIM_CHARS - 100));
  return result;
}

describe('cutLongDataUrls + matchPlaceholders: round trips', () => {
  it('one long data URL', () => {
    const url = dataUrl();
    const { verbatim, cut } = roundTrip(JSON.stringify(request(user(text('what is this?'), image(url)))), 1);
    assert.equal(verbatimText(verbatim[0]), url);
    assert.ok(!cut.skeleton.includes(url.slice(22, 200)), 'the payload is not in the skeleton');
    assert.ok(cut.skeleton.includes(JSON.stringify(placeholder(0))), 'a placeholder stands in its place');
  });

  it('several long data URLs in several messages, restored in document order', () => {
    const urls = [dataUrl('image/png'), dataUrl('image/jpeg', 50_000), dataUrl('image/webp', 33_000), dataUrl('image/gif')];
    const body = request(
      { role: 'system', content: 'You look at images.' },
      user(text('first'), image(urls[0], { detail: 'high' }), image(urls[1])),
      { role: 'assistant', content: 'I see two.' },
      user(image(urls[2], { detail: 'low' }), text('and these?'), image(urls[3])),
    );
    const { verbatim } = roundTrip(JSON.stringify(body), 4);
    assert.deepEqual(
      verbatim.map(verbatimText),
      urls,
    );
  });

  it('the same long data URL twice: two cuts, each restored at its own place', () => {
    const url = dataUrl();
    const { verbatim } = roundTrip(JSON.stringify(request(user(image(url)), user(image(url)))), 2);
    assert.equal(verbatimText(verbatim[0]), url);
    assert.equal(verbatimText(verbatim[1]), url);
  });

  it('a short data URL (< 32 KiB) is left to JSON.parse; a long one beside it is cut', () => {
    const short = dataUrl('image/png', 1000);
    const long = dataUrl();
    const { verbatim, cut } = roundTrip(JSON.stringify(request(user(image(short), image(long)))), 1);
    assert.equal(verbatimText(verbatim[0]), long);
    assert.ok(cut.skeleton.includes(short));
  });

  it('the threshold: exactly MIN_VERBATIM_CHARS characters is cut, one less is not', () => {
    const atLimit = dataUrlOfLength(MIN_VERBATIM_CHARS);
    const below = dataUrlOfLength(MIN_VERBATIM_CHARS - 1);
    roundTrip(JSON.stringify(request(user(image(atLimit)))), 1);
    assert.equal(cutLongDataUrls(Buffer.from(JSON.stringify(request(user(image(below)), user(text('x'.repeat(40_000))))))), null);
  });

  it('a body smaller than MIN_VERBATIM_CHARS is not even scanned', () => {
    assert.equal(cutLongDataUrls(Buffer.from(JSON.stringify(request(user(image(dataUrl('image/png', 100))))))), null);
  });

  it('a body without any data URL gives null', () => {
    assert.equal(cutLongDataUrls(Buffer.from(JSON.stringify(request(user(text('x'.repeat(100_000))))))), null);
  });

  it('mixed text parts around the images', () => {
    const urls = [dataUrl(), dataUrl('image/jpeg')];
    const body = request(
      user(text('a'), image(urls[0]), text('"quoted" and \\backslashed\\ and data: not a URL'), image(urls[1]), text('z')),
    );
    roundTrip(JSON.stringify(body), 2);
  });

  it('non-ASCII text right around the cuts survives (UTF-8 is never split)', () => {
    const urls = [dataUrl(), dataUrl()];
    const body = {
      model: 'gpt-4o',
      'ключ✓': 'ünïcödé ✓ 日本語 🖼️',
      messages: [
        user(text('ünïcödé ✓ 日本語'), image(urls[0], { 'ü': '日本語' }), text('🖼️ 画像 ✓ ünïcödé')),
        { role: 'assistant', content: 'Ça va ✓ 日本語' },
        user(image(urls[1]), text('é')),
      ],
      metadata: { 'ä': '😀'.repeat(10), emoji: '👍🏽' },
    };
    const json = JSON.stringify(body);
    roundTrip(json, 2);
    // Non-ASCII directly before and after the quotes of a cut string (no separator between
    // a multi-byte character and the cut other than the JSON punctuation).
    const tight = `{"model":"日","messages":[{"role":"user","content":[{"type":"text","text":"本"},{"type":"image_url","image_url":{"url":"${urls[0]}","語":"✓"}}]}],"ü":"ü"}`;
    roundTrip(tight, 1);
  });

  it('pretty-printed JSON with CRLF and tabs', () => {
    const url = dataUrl();
    const json = JSON.stringify(request(user(text('hi ✓'), image(url))), null, '\t').replace(/\n/g, '\r\n');
    const { verbatim } = roundTrip(json, 1);
    assert.equal(verbatimText(verbatim[0]), url);
  });

  it('an escaped quote before data: inside a text is not taken for a string start', () => {
    const url = dataUrl();
    // The text holds `"data:…long…"` as a quotation: written as \"data:…\" in JSON.
    const quoted = `He wrote "${url}" in the chat`;
    const onlyQuoted = JSON.stringify(request(user(text(quoted))));
    assert.ok(onlyQuoted.includes('\\"data:'));
    assert.equal(cutLongDataUrls(Buffer.from(onlyQuoted)), null);
    // No escaped quote after it: from the escaped quote to the text's closing quote there is
    // no backslash, so only the escape check keeps it from being cut.
    const opened = JSON.stringify(request(user(text(`"${url}`))));
    assert.ok(opened.includes('"\\"data:'));
    assert.equal(cutLongDataUrls(Buffer.from(opened)), null);
    // Beside a real image: only the image is cut.
    const url2 = dataUrl('image/jpeg');
    const { verbatim } = roundTrip(JSON.stringify(request(user(text(quoted), image(url2)))), 1);
    assert.equal(verbatimText(verbatim[0]), url2);
    // An escaped backslash then an escaped quote (`\\\"data:`): still escaped.
    const tricky = JSON.stringify(request(user(text(`a\\"${url}`), image(url2))));
    assert.ok(tricky.includes('\\\\\\"data:'));
    roundTrip(tricky, 1);
  });

  it('a quotation with an escaped quote inside a long data:-like text does not throw the scan off', () => {
    // The first candidate runs into an escaped quote (backslash in the span: skipped); the
    // scan resumes inside that string, where every quote is escaped, and still finds the image.
    const fake = `data:text/plain,${'x'.repeat(40_000)}"${dataUrl()}`;
    const url = dataUrl();
    roundTrip(JSON.stringify(request(user(image(url)), { role: 'assistant', content: 'ok' }, user(text('see below'), image(url)))), 2);
    const result = cutParseRestore(Buffer.from(JSON.stringify(request(user(text('note'), image(url)), { role: 'assistant', content: [text(fake)] }))));
    // The text part starts with "data:" and is long: its span holds a backslash, so it is not
    // cut; the escaped "data: inside it is not a start either. Only the image is cut.
    assert.ok(result);
    assert.equal(result.verbatim.length, 1);
    assert.equal(verbatimText(result.verbatim[0]), url);
  });

  it('a string the client wrote that looks like a placeholder is left alone', () => {
    // The per-process nonce cannot be known to a client: its look-alike is just a string.
    const url = dataUrl();
    const lookAlike = 'data:,iris-verbatim-xxx-0';
    const body = request(user(image(lookAlike), text(lookAlike), image(url), image('data:,iris-verbatim-AAAAAAAAAAAA-1')));
    const { value, verbatim } = roundTrip(JSON.stringify(body), 1);
    assert.equal(verbatimText(verbatim[0]), url);
    const parts = (value as { messages: { content: { image_url?: { url: string } }[] }[] }).messages[0].content;
    assert.equal(parts[0].image_url?.url, lookAlike);
    assert.equal(parts[3].image_url?.url, 'data:,iris-verbatim-AAAAAAAAAAAA-1');
  });

  it('a malformed body stays malformed in the skeleton (the error is not masked)', () => {
    const url = dataUrl();
    const json = JSON.stringify(request(user(text('x'), image(url))));
    for (const broken of [json.slice(0, -1), `${json},`, json.replace('"role":"user",', '"role":"user",,'), json.replace(`"${url}"`, `"${url}"x`)]) {
      assert.throws(() => JSON.parse(broken));
      const cut = cutLongDataUrls(Buffer.from(broken));
      if (cut) assert.throws(() => JSON.parse(cut.skeleton), broken.slice(-40));
    }
  });
});

describe('cutLongDataUrls + matchPlaceholders: fallbacks (null: parse the body plainly)', () => {
  function assertFallback(json: string) {
    const body = Buffer.from(json);
    assert.equal(cutParseRestore(body), null);
    JSON.parse(json); // the plain way works
  }

  it('a long data: string inside a text part', () => {
    assertFallback(JSON.stringify(request(user(text(dataUrl()), image(dataUrl())))));
    assertFallback(JSON.stringify(request(user(text(dataUrl())))));
  });

  it('a long data: string as a message content string', () => {
    assertFallback(JSON.stringify(request({ role: 'user', content: dataUrl() })));
    assertFallback(JSON.stringify(request({ role: 'user', content: dataUrl() }, user(image(dataUrl())))));
  });

  it('a long data: string anywhere else (top-level field, metadata, tool arguments)', () => {
    assertFallback(JSON.stringify({ ...request(user(image(dataUrl()))), metadata: { img: dataUrl() } }));
    assertFallback(JSON.stringify({ model: 'm', prompt: dataUrl() }));
    assertFallback(JSON.stringify({ model: 'm', messages: { 0: user(image(dataUrl())) } }));
  });

  it('an image part of another type holding a long data URL', () => {
    assertFallback(JSON.stringify(request(user({ type: 'input_image', image_url: { url: dataUrl() } }))));
    assertFallback(JSON.stringify(request(user({ image_url: { url: dataUrl() } }))));
  });

  it('a data URL written with escaped slashes (PHP json_encode) is not cut: it holds backslashes', () => {
    const url = dataUrl();
    assert.ok(url.includes('/'));
    const plain = JSON.stringify(request(user(image(url))));
    const escaped = plain.replace(url, url.replaceAll('/', '\\/'));
    assert.ok(escaped.includes('data:image\\/png'));
    assert.equal(cutLongDataUrls(Buffer.from(escaped)), null);
    assert.deepEqual(JSON.parse(escaped), JSON.parse(plain));
    // Beside an unescaped one: only that one is cut, and the escaped one parses plainly.
    const other = dataUrl('image/jpeg');
    const mixed = JSON.stringify(request(user(image(url), image(other)))).replace(url, url.replaceAll('/', '\\/'));
    const { verbatim } = roundTrip(mixed, 1);
    assert.equal(verbatimText(verbatim[0]), other);
  });

  it('a data URL with any other escape (\\u, \\n) is not cut', () => {
    const url = dataUrl();
    const plain = JSON.stringify(request(user(image(url))));
    assert.equal(cutLongDataUrls(Buffer.from(plain.replace('data:image/png', 'data:image\\u002fpng'))), null);
    const at = plain.indexOf(url) + 1000;
    assert.equal(cutLongDataUrls(Buffer.from(`${plain.slice(0, at)}\\n${plain.slice(at)}`)), null);
  });

  it('a long data URL used as an object key', () => {
    const url = dataUrl();
    assertFallback(JSON.stringify(request(user(image(dataUrl()))), null, 0).replace('"model"', `"${url}":1,"model"`));
    assertFallback(`{"${url}":"x","messages":[]}`);
  });

  it('a placeholder of the process planted by the client (as if it leaked) is refused', () => {
    const url = dataUrl();
    // Before and after the real one: the index would be restored twice.
    assertFallback(JSON.stringify(request(user(image(placeholder(0)), image(url)))));
    assertFallback(JSON.stringify(request(user(image(url), image(placeholder(0))))));
    // An index with no cut behind it.
    assertFallback(JSON.stringify(request(user(image(url), image(placeholder(1))))));
  });

  it('a placeholder lost to a duplicate key', () => {
    const url = dataUrl();
    assertFallback(`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"${url}","url":"http://127.0.0.1:9/a.png"}}]}]}`);
    assertFallback(`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"${url}"}}]}],"messages":[{"role":"user","content":"x"}]}`);
  });

  it('a header with a non-ASCII or control byte before the comma is not cut', () => {
    const payload = randomBytes(40_000).toString('base64');
    // Non-ASCII: valid JSON, parsed plainly.
    assertFallback(JSON.stringify(request(user(image(`data:image/pngé;base64,${payload}`)))));
    assertFallback(JSON.stringify(request(user(image(`data:image/日本;base64,${payload}`)))));
    // A raw control byte (invalid JSON: the plain parse reports it).
    for (const c of ['\x01', '\t', '\x7f']) {
      const json = `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png${c};base64,${payload}"}}]}]}`;
      assert.equal(cutLongDataUrls(Buffer.from(json)), null, JSON.stringify(c));
    }
  });

  it('a header without a comma in its first 256 bytes is not cut', () => {
    assertFallback(JSON.stringify(request(user(image(`data:${'a'.repeat(40_000)}`)))));
    const payload = randomBytes(40_000).toString('base64');
    assertFallback(JSON.stringify(request(user(image(`data:image/png;${'x='.repeat(200)};base64,${payload}`)))));
    // Just within the limit: cut.
    roundTrip(JSON.stringify(request(user(image(`data:image/png;${'x'.repeat(200)};base64,${payload}`)))), 1);
  });

  it('an upper-case DATA: is simply not cut', () => {
    assertFallback(JSON.stringify(request(user(image(`DATA:image/png;base64,${randomBytes(40_000).toString('base64')}`)))));
  });
});

describe('what the cut leaves unchecked is refused by the image decoder', () => {
  // A cut string skips JSON.parse, so raw control bytes and invalid UTF-8 in it are not seen
  // as JSON errors. The design relies on the strict base64 decoder refusing every such byte.
  it('every byte outside the base64 alphabet in the payload makes decodeDataUrl throw', () => {
    const payload = randomBytes(40_000).toString('base64');
    const alphabet = new Set(Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'));
    for (let byte = 0; byte < 256; byte++) {
      if (alphabet.has(byte) || byte === 0x22 || byte === 0x5c) continue; // quote and backslash end or prevent the cut
      for (const at of [0, 1000, payload.length - 5]) {
        const url = Buffer.from(`data:image/png;base64,${payload}`, 'latin1');
        url[22 + at] = byte;
        const body = Buffer.concat([
          Buffer.from('{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"'),
          url,
          Buffer.from('"}}]}]}'),
        ]);
        const result = cutParseRestore(body);
        assert.ok(result, `byte ${byte} at ${at}: cut`);
        assert.throws(() => decodeDataUrl(result.verbatim[0].json), `byte 0x${byte.toString(16)} at ${at} must be refused (bytes)`);
        assert.throws(() => decodeDataUrl(verbatimText(result.verbatim[0])), `byte 0x${byte.toString(16)} at ${at} must be refused (string)`);
      }
    }
  });
});
