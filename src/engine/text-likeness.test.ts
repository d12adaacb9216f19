import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { measureTextLikeness } from './text-likeness.ts';

async function measure(svg: string) {
  const { data, info } = await sharp(Buffer.from(svg)).greyscale().raw().toBuffer({ resolveWithObject: true });
  return measureTextLikeness(new Uint8Array(data), info.width, info.height);
}

describe('measureTextLikeness', () => {
  it('finds printed text likely', async () => {
    const lines = ['The quick brown fox jumps', 'over the lazy dog, twice.', 'Invoice 2024-118: total 42.50', 'Thank you for your order'];
    const text = lines.map((l, i) => `<text x="20" y="${60 + i * 50}" font-family="sans-serif" font-size="30">${l}</text>`).join('');
    const t = await measure(`<svg xmlns="http://www.w3.org/2000/svg" width="640" height="260"><rect width="640" height="260" fill="#fff"/>${text}</svg>`);
    assert.equal(t.likely, true, JSON.stringify(t));
  });

  it('finds smooth shapes and gradients unlikely', async () => {
    const t = await measure('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="480"><defs><linearGradient id="g"><stop offset="0" stop-color="#3a6"/><stop offset="1" stop-color="#a63"/></linearGradient></defs><rect width="640" height="480" fill="url(#g)"/><circle cx="320" cy="240" r="150" fill="#c33"/></svg>');
    assert.equal(t.likely, false, JSON.stringify(t));
  });

  it('finds noise (texture) unlikely', () => {
    const width = 320;
    const height = 240;
    const grey = new Uint8Array(width * height);
    let seed = 7;
    for (let i = 0; i < grey.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      grey[i] = 100 + (seed % 40);
    }
    assert.equal(measureTextLikeness(grey, width, height).likely, false);
  });
});
