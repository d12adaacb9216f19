import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MIN_VERBATIM_CHARS } from '../../src/json/verbatim-strings.ts';
import { makeImage } from '../../src/images/testing/test-images.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';
import { CASES, type CaseContext, type TestImage } from './conformance-cases.ts';
import { startImageServer, type ImageServer } from './image-server.ts';
import { PROVIDERS, type Harness } from './provider-descriptors.ts';

// Every case of conformance-cases.ts against every provider type of provider-descriptors.ts,
// through the real Iris server and the official openai SDK. CONFORMANCE_PROVIDERS=a,b limits
// the run to some providers.

const only = process.env.CONFORMANCE_PROVIDERS?.split(',').map((s) => s.trim()).filter(Boolean);

function inline(bytes: Buffer, mediaType: string): TestImage {
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { dataUrl: `data:${mediaType};base64,${bytes.toString('base64')}`, mediaType, bytes: bytes.length, sha256 };
}

for (const descriptor of PROVIDERS) {
  if (only && !only.includes(descriptor.name)) continue;

  describe(`conformance: ${descriptor.name}`, { timeout: (descriptor.startupMs ?? 0) + 120_000 }, () => {
    let harness: Harness;
    let imageServer: ImageServer;
    let iris: RunningIris;
    let context: CaseContext;

    before(async () => {
      const [png, jpeg, webp, photo] = await Promise.all([
        makeImage('png', 320, 240), makeImage('jpeg', 320, 240), makeImage('webp', 320, 240), makeImage('jpeg', 480, 360, { noise: true, quality: 95 }),
      ]);
      assert.ok(photo.length > MIN_VERBATIM_CHARS && png.length < MIN_VERBATIM_CHARS, 'the photo is long enough to be cut, the png short enough not to be');
      imageServer = await startImageServer({ 'picture.png': { bytes: png, type: 'image/png' } });
      harness = await descriptor.start();
      iris = await startIris({ ...harness.config, images: { fetch: { allow_hosts: [imageServer.host] } } });
      context = {
        client: iris.client,
        descriptor,
        harness,
        model: harness.model,
        images: { png: inline(png, 'image/png'), jpeg: inline(jpeg, 'image/jpeg'), webp: inline(webp, 'image/webp'), photo: inline(photo, 'image/jpeg'), pngUrl: imageServer.url('picture.png') },
        received: () => {
          if (!harness.upstream) throw new Error(`${descriptor.name} has no upstream to inspect`);
          return harness.upstream.received();
        },
      };
    });

    after(async () => {
      await iris?.close();
      await harness?.close();
      await imageServer?.close();
    });

    beforeEach(() => harness.upstream?.reset());

    for (const testCase of CASES) {
      const missing = (testCase.needs ?? []).filter((need) =>
        need === 'upstream' ? descriptor.name === 'local' : need === 'tools' ? !descriptor.canCallTools : false);
      it(testCase.name, { skip: missing.length ? `${descriptor.name} has no ${missing.join(', ')}` : false }, () => testCase.run(context));
    }
  });
}
