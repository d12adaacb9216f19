// The embedded engine through the API says what it was sent: a TIFF scan reaches it as a TIFF
// (it reads TIFF itself), not as the JPEG Iris would convert it to for an upstream.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { dataUrl, makeImage } from '../../src/images/testing/test-images.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

describe('image formats the engine reads itself', () => {
  let iris: RunningIris;
  before(async () => {
    iris = await startIris({ engine: { enabled: true, threads: 1 } });
  });
  after(() => iris?.close());

  it('a TIFF is described as a TIFF', async () => {
    const tiff = dataUrl(await makeImage('tiff', 320, 200), 'image/tiff');
    const completion = await iris.client.chat.completions.create({
      model: 'Image-Recognition',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What format is this image?' }, { type: 'image_url', image_url: { url: tiff } }] }],
    });
    assert.match(completion.choices[0].message.content ?? '', /\bTIFF\b/);
  });
});
