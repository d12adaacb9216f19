import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { decodeDataUrl } from './data-url.ts';
import { probeHeader } from './header-probe.ts';
import { probeWithSharp } from './image-codec.ts';
import { ImageProblem } from './image-problem.ts';
import { sniffFormat } from './sniff-format.ts';
import { makeAnimatedGif, makeBmp, makeHeicLike, makeImage, makePngBomb } from './testing/test-images.ts';

describe('sniff + header probe agree with sharp', () => {
  for (const format of ['jpeg', 'png', 'webp', 'gif'] as const) {
    for (const [w, h] of [[1, 1], [640, 480], [333, 1777]]) {
      test(`${format} ${w}×${h}`, async () => {
        const bytes = await makeImage(format, w, h);
        assert.equal(sniffFormat(bytes), format);
        const probe = probeHeader(format, bytes);
        assert.ok(probe);
        assert.equal(probe.width, w);
        assert.equal(probe.height, h);
        assert.equal(probe.multiFrame, false);
        assert.equal(probe.suspect, false);
      });
    }
  }
  test('alpha is seen in PNG and WebP', async () => {
    assert.equal(probeHeader('png', await makeImage('png', 50, 40, { alpha: true }))?.hasAlpha, true);
    assert.equal(probeHeader('webp', await makeImage('webp', 50, 40, { alpha: true }))?.hasAlpha, true);
    assert.equal(probeHeader('png', await makeImage('png', 50, 40))?.hasAlpha, false);
  });
  test('animated GIF and animated WebP are multi-frame', async () => {
    const gif = await makeAnimatedGif(40, 30, 3);
    assert.deepEqual([probeHeader('gif', gif)?.multiFrame, probeHeader('gif', gif)?.width], [true, 40]);
    const webp = await sharp(gif, { animated: true }).webp().toBuffer();
    assert.equal(probeHeader('webp', webp)?.multiFrame, true);
  });
  test('a GIF whose logical screen understates its frames is sized by the frames, as decoders size it', async () => {
    const gif = await makeImage('gif', 900, 700, { noise: true });
    const lying = Buffer.from(gif);
    lying.writeUInt16LE(10, 6); // logical screen 10×10
    lying.writeUInt16LE(10, 8);
    assert.deepEqual([probeHeader('gif', lying)?.width, probeHeader('gif', lying)?.height], [900, 700]);
    const decoded = await sharp(lying).metadata();
    assert.deepEqual([decoded.width, decoded.height], [900, 700]);
  });
  test('BMP, TIFF, AVIF, HEIC are recognised', async () => {
    const bmp = await makeBmp(30, 20);
    assert.equal(sniffFormat(bmp), 'bmp');
    assert.deepEqual([probeHeader('bmp', bmp)?.width, probeHeader('bmp', bmp)?.height], [30, 20]);
    const tiff = await makeImage('tiff', 70, 50);
    assert.equal(sniffFormat(tiff), 'tiff');
    assert.deepEqual([(await probeWithSharp(tiff, 'tiff')).width, (await probeWithSharp(tiff, 'tiff')).height], [70, 50]);
    const avif = await makeImage('avif', 64, 48);
    assert.equal(sniffFormat(avif), 'avif');
    assert.equal((await probeWithSharp(avif, 'avif')).width, 64);
    assert.equal(sniffFormat(makeHeicLike()), 'heic');
  });
  test('text, SVG and short data are not images', () => {
    assert.equal(sniffFormat(Buffer.from('hello, this is a text file named photo.png')), null);
    assert.equal(sniffFormat(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')), null);
    assert.equal(sniffFormat(Buffer.from([0xff, 0xd8])), null);
  });
  test('a bomb header is read without decoding', () => {
    const bomb = makePngBomb(100_000, 100_000);
    assert.ok(bomb.length < 100);
    assert.deepEqual([probeHeader('png', bomb)?.width, probeHeader('png', bomb)?.height], [100_000, 100_000]);
  });
  test('a BMP cut inside its DIB header is corrupt, not a crash', async () => {
    // Sniffing accepts 26 bytes; the probe (and the BMP decoder after it) read up to byte 54.
    const bmp = await makeBmp(30, 20);
    for (const n of [26, 29, 40, 53]) {
      const cut = Buffer.from(bmp.subarray(0, n));
      cut.writeUInt32LE(n, 2); // a file size that agrees with the cut
      assert.equal(sniffFormat(cut), 'bmp');
      assert.throws(() => probeHeader('bmp', cut), ImageProblem, `${n} bytes`);
    }
  });
  test('truncated files: cut headers throw, cut bodies are suspect', async () => {
    const jpeg = await makeImage('jpeg', 400, 300, { noise: true });
    assert.throws(() => probeHeader('jpeg', jpeg.subarray(0, 40)), ImageProblem);
    assert.equal(probeHeader('jpeg', jpeg.subarray(0, jpeg.length >> 1))?.suspect, true);
    const png = await makeImage('png', 400, 300, { noise: true });
    assert.throws(() => probeHeader('png', png.subarray(0, 30)), ImageProblem);
    assert.equal(probeHeader('png', png.subarray(0, png.length >> 1))?.suspect, true);
    const webp = await makeImage('webp', 400, 300, { noise: true });
    assert.throws(() => probeHeader('webp', webp.subarray(0, webp.length >> 1)), ImageProblem);
    const gif = await makeImage('gif', 200, 100, { noise: true });
    assert.equal(probeHeader('gif', gif.subarray(0, gif.length >> 1))?.suspect, true);
  });
});

describe('strict data URLs', () => {
  const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
  const good = `data:image/png;base64,${png.toString('base64')}`;
  test('decodes and keeps the declared type', () => {
    const d = decodeDataUrl(good);
    assert.deepEqual(d.bytes, png);
    assert.equal(d.declaredType, 'image/png');
    assert.equal(good.slice(d.payloadStart), png.toString('base64'));
  });
  test('padding variants decode exactly', () => {
    for (const n of [1, 2, 3, 4, 5]) {
      const bytes = Buffer.from([1, 2, 3, 4, 5].slice(0, n));
      assert.deepEqual(decodeDataUrl(`data:image/png;base64,${bytes.toString('base64')}`).bytes, bytes);
    }
  });
  const bad: Array<[string, string]> = [
    ['not base64 encoded', 'data:image/png,rawtext'],
    ['no comma', 'data:image/png;base64'],
    ['empty', 'data:image/png;base64,'],
    ['a character outside the alphabet', `data:image/png;base64,${png.toString('base64').slice(0, -4)}A*==`],
    ['whitespace inside', `data:image/png;base64,${png.toString('base64').slice(0, 8)}\n${png.toString('base64').slice(8, -1)}`],
    ['URL-safe alphabet', 'data:image/png;base64,ab-_'],
    ['padding in the middle', 'data:image/png;base64,QQ==QUFB'],
    ['a length that is not a multiple of 4', 'data:image/png;base64,QUFBQ'],
  ];
  for (const [name, url] of bad) {
    test(`refuses ${name}`, () => {
      assert.throws(() => decodeDataUrl(url), (err: unknown) => err instanceof ImageProblem && err.code === 'invalid_base64_image');
    });
  }
});

describe('EXIF orientation in the header', () => {
  for (const format of ['jpeg', 'png', 'webp'] as const) {
    test(`${format}: read where the format keeps it; none when upright; a broken EXIF block is no error`, async () => {
      const encode = (s: Sharp) => (format === 'jpeg' ? s.jpeg() : format === 'png' ? s.png() : s.webp());
      const base = sharp({ create: { width: 40, height: 20, channels: 3, background: '#f00' } });
      const turned = await encode(base.clone()).withMetadata({ orientation: 6 }).toBuffer();
      assert.equal(probeHeader(format, turned)?.orientation, 6);
      assert.equal(probeHeader(format, await encode(base.clone()).withMetadata({ orientation: 1 }).toBuffer())?.orientation, undefined);
      assert.equal(probeHeader(format, await encode(base.clone()).toBuffer())?.orientation, undefined);
      // The orientation tag's offset to its IFD pointed far past the block: ignored, not thrown.
      const broken = Buffer.from(turned);
      const tiff = broken.indexOf(Buffer.from('MM\0*')) >= 0 ? broken.indexOf(Buffer.from('MM\0*')) : broken.indexOf(Buffer.from('II*\0'));
      assert.ok(tiff > 0, 'a TIFF header in the EXIF block');
      broken.writeUInt32BE(0x7fffffff, tiff + 4);
      assert.doesNotThrow(() => probeHeader(format, broken));
      assert.equal(probeHeader(format, broken)?.orientation, undefined);
    });
  }
});
