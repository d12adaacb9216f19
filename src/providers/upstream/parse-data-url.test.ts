import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDataUrl } from './parse-data-url.ts';

test('a base64 data URL in any case of scheme and type is inline: its media type lower-cased, payload as sent', () => {
  assert.deepEqual(parseDataUrl('data:image/png;base64,iVBO'), { mediaType: 'image/png', base64: 'iVBO' });
  assert.deepEqual(parseDataUrl('DATA:IMAGE/PNG;BASE64,iVBO'), { mediaType: 'image/png', base64: 'iVBO' });
  assert.deepEqual(parseDataUrl('data:image/jpeg;name=x;base64,/9j/\n4AA'), { mediaType: 'image/jpeg', base64: '/9j/4AA' });
});

test('anything else is not inline', () => {
  for (const url of ['https://example.com/a.png', 'data:image/png,rawbytes', 'data:image/png;base64', 'dat:image/png;base64,AAAA']) {
    assert.equal(parseDataUrl(url), null, url);
  }
});
