import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageLimits } from '../providers/provider.ts';
import { planImage, type ImageFacts } from './plan-image.ts';

const limits = (extra: Partial<ImageLimits> = {}): ImageLimits => ({ acceptsUrls: false, formats: ['jpeg', 'png', 'webp', 'gif'], maxBytes: 20_000_000, ...extra });
const facts = (extra: Partial<ImageFacts> = {}): ImageFacts => ({ format: 'jpeg', width: 1600, height: 1200, multiFrame: false, hasAlpha: false, bytes: 100_000, ...extra });

test('an image that fits goes as it is; one turned by EXIF is re-encoded upright', () => {
  assert.deepEqual(planImage(facts(), limits(), undefined).reasons, []);
  assert.deepEqual(planImage(facts({ orientation: 6 }), limits(), undefined).reasons, ['orientation']);
});

test('a thin strip is brought within max_pixels though its short side cannot shrink below 1 px', () => {
  const plan = planImage(facts({ format: 'png', width: 1, height: 10_000 }), limits({ maxPixels: 5000 }), undefined);
  assert.deepEqual([plan.width, plan.height], [1, 5000]);
  const wide = planImage(facts({ format: 'png', width: 10_000, height: 1 }), limits({ maxPixels: 5000 }), undefined);
  assert.deepEqual([wide.width, wide.height], [5000, 1]);
});

test('a converted image with few colours (a GIF, a palette, black and white) becomes PNG; an opaque photo JPEG', () => {
  const gemini = limits({ formats: ['jpeg', 'png', 'webp'] });
  assert.equal(planImage(facts({ format: 'gif' }), gemini, undefined).output, 'png');
  assert.equal(planImage(facts({ format: 'tiff', flat: true }), gemini, undefined).output, 'png');
  assert.equal(planImage(facts({ format: 'tiff' }), gemini, undefined).output, 'jpeg');
});

test("detail low downscales to the edge the model sees at low detail: 512 px by default, the model's own when given", () => {
  assert.deepEqual([planImage(facts(), limits(), 'low').width, planImage(facts(), limits(), 'low').reasons], [512, ['low_detail']]);
  assert.deepEqual(planImage(facts(), limits(), 'low', 2048).reasons, []);
});
