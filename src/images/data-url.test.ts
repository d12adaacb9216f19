// decodeDataUrl takes a data URL as a string or as the client's bytes (a long one kept out of
// JSON.parse). Both must decode alike and refuse alike, whatever piece of the payload a bad
// character falls in: bytes are decoded 64 KiB at a time.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { dataUrlByteLength, decodeDataUrl, isDataUrl, type DataUrlText } from './data-url.ts';
import { ImageProblem } from './image-problem.ts';

const HEAD = 'data:image/png;base64,';
const PIECE = 64 * 1024;

/** Decoding as a string and as bytes: both results, or both errors' messages. */
function both(url: string): { string: Buffer | string; bytes: Buffer | string } {
  const run = (text: DataUrlText) => {
    try {
      return Buffer.from(decodeDataUrl(text).bytes);
    } catch (err) {
      assert.ok(err instanceof ImageProblem, String(err));
      return err.message;
    }
  };
  return { string: run(url), bytes: run(Buffer.from(url, 'latin1')) };
}

describe('decodeDataUrl, string and bytes alike', () => {
  for (const size of [1, 2, 3, 1000, 49_152, 49_153, 49_154, 200_000, 1_000_001]) {
    it(`decodes ${size} random bytes (every base64 character, any padding)`, () => {
      const data = randomBytes(size);
      const url = HEAD + data.toString('base64');
      const { string, bytes } = both(url);
      assert.deepEqual(string, data);
      assert.deepEqual(bytes, data);
      assert.equal(dataUrlByteLength(Buffer.from(url)), dataUrlByteLength(url));
    });
  }

  it('the declared type and where the payload starts', () => {
    const url = `data:Image/JPEG;name=x.jpg;base64,${randomBytes(300).toString('base64')}`;
    for (const text of [url, Buffer.from(url)]) {
      const decoded = decodeDataUrl(text);
      assert.equal(decoded.declaredType, 'image/jpeg');
      assert.equal(decoded.payloadStart, url.indexOf(',') + 1);
      assert.ok(isDataUrl(text));
    }
  });

  it('a stray character in any piece, at its first, last or middle place, is refused both ways', () => {
    const payload = randomBytes(300_000).toString('base64'); // 400,000 characters: 7 pieces
    const starts = [0, 1, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 17, payload.length - 3, payload.length - 1];
    for (const at of starts) {
      for (const c of ['\x00', ' ', '\n', '-', '_', '.', '*', '\x80', '\xff', '=']) {
        if (c === '=' && at === payload.length - 1) continue; // that is padding: valid base64
        const url = HEAD + payload.slice(0, at) + c + payload.slice(at + 1);
        const { string, bytes } = both(url);
        assert.equal(typeof bytes, 'string', `${JSON.stringify(c)} at ${at} refused as bytes`);
        assert.equal(bytes, string, `${JSON.stringify(c)} at ${at}: the same message both ways`);
      }
    }
  });

  it('padding that ends a middle piece is refused: "=" belongs only at the very end', () => {
    const first = randomBytes((PIECE / 4) * 3 - 1).toString('base64'); // a full piece ending in "="
    assert.ok(first.endsWith('=') && first.length === PIECE);
    const url = HEAD + first + randomBytes(3000).toString('base64');
    const { string, bytes } = both(url);
    assert.match(String(bytes), /not valid base64/);
    assert.equal(bytes, string);
  });

  it('malformed URLs give the same error both ways', () => {
    for (const url of ['data:image/png;base64,', 'data:image/png,AAAA', 'data:image/png;base64,AAA', 'data:image/png;base64AAAA', 'http:x']) {
      const { string, bytes } = both(url);
      assert.equal(typeof string, 'string', url);
      assert.equal(bytes, string, url);
    }
  });

  it('decodes into a scratch buffer when it is large enough, and returns a view of it', () => {
    const data = randomBytes(150_000);
    const scratch = Buffer.alloc(200_000);
    const decoded = decodeDataUrl(Buffer.from(HEAD + data.toString('base64')), scratch);
    assert.equal(decoded.bytes.buffer, scratch.buffer);
    assert.deepEqual(decoded.bytes, data);
    const small = Buffer.alloc(10);
    const own = decodeDataUrl(Buffer.from(HEAD + data.toString('base64')), small);
    assert.notEqual(own.bytes.buffer, small.buffer);
    assert.deepEqual(own.bytes, data);
  });
});
