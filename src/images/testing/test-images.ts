import { crc32 } from 'node:zlib';
import sharp from 'sharp';

// Images for tests and benchmarks, made on the spot (sharp renders SVG), so nothing depends
// on files outside the repo.

export type TestFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif';

/** A picture with shapes, gradients and text; `noise` makes it incompressible (big files). */
export async function makeImage(format: TestFormat, width: number, height: number, options: { alpha?: boolean; noise?: boolean; quality?: number } = {}): Promise<Buffer> {
  let image = options.noise ? noiseImage(width, height, options.alpha) : sharp(Buffer.from(svg(width, height, options.alpha)));
  if (!options.alpha) image = image.flatten({ background: '#ffffff' });
  switch (format) {
    case 'jpeg':
      return image.jpeg({ quality: options.quality ?? 85 }).toBuffer();
    case 'png':
      return image.png().toBuffer();
    case 'webp':
      return image.webp({ quality: options.quality ?? 80 }).toBuffer();
    case 'gif':
      return image.gif().toBuffer();
    case 'tiff':
      return image.tiff().toBuffer();
    case 'avif':
      return image.avif({ quality: 50, effort: 0 }).toBuffer();
  }
}

function svg(width: number, height: number, alpha = false): string {
  const r = Math.min(width, height) / 4;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1e90ff"/><stop offset="1" stop-color="#ff8c00"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)" ${alpha ? 'fill-opacity="0.5"' : ''}/>
    <circle cx="${width / 3}" cy="${height / 2}" r="${r}" fill="#228b22"/>
    <rect x="${width / 2}" y="${height / 4}" width="${width / 3}" height="${height / 2}" fill="#8b0000"/>
    <text x="10" y="${Math.max(20, height / 8)}" font-size="${Math.max(10, height / 10)}" fill="#fff">Iris test</text>
  </svg>`;
}

function noiseImage(width: number, height: number, alpha = false) {
  const channels = alpha ? 4 : 3;
  const data = Buffer.allocUnsafe(width * height * channels);
  let x = 0x12345678;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; // xorshift: fast, deterministic
    data[i] = x & 0xff;
  }
  return sharp(data, { raw: { width, height, channels } });
}

/** An animated GIF of `frames` solid-colour frames. */
export async function makeAnimatedGif(width: number, height: number, frames = 3): Promise<Buffer> {
  const colours = ['#ff0000', '#00ff00', '#0000ff', '#ffff00'];
  const pngs = await Promise.all(
    Array.from({ length: frames }, (_, i) => sharp({ create: { width, height, channels: 4, background: colours[i % colours.length] } }).png().toBuffer()),
  );
  return sharp(pngs, { join: { animated: true } }).gif().toBuffer();
}

/** An uncompressed 24-bit BMP (sharp cannot write BMP). */
export async function makeBmp(width: number, height: number): Promise<Buffer> {
  const { data } = await sharp(Buffer.from(svg(width, height))).flatten({ background: '#fff' }).raw().toBuffer({ resolveWithObject: true });
  const stride = Math.ceil((width * 3) / 4) * 4;
  const out = emptyBmp(width, height, 24, stride * height);
  for (let y = 0; y < height; y++) {
    const row = 54 + (height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      out[row + x * 3] = data[s + 2];
      out[row + x * 3 + 1] = data[s + 1];
      out[row + x * 3 + 2] = data[s];
    }
  }
  return out;
}

/** One PNG chunk: length, type, data and CRC. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
  return out;
}

/** A valid-looking PNG of a few dozen bytes whose header declares width × height. */
export function makePngBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.from('789c030000000001', 'hex')),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first bytes of an HEIC file (an ISO-BMFF `ftyp` box with HEIC brands) and junk after. */
export function makeHeicLike(): Buffer {
  const ftyp = Buffer.alloc(24);
  ftyp.writeUInt32BE(24, 0);
  ftyp.write('ftypheic', 4, 'latin1');
  ftyp.writeUInt32BE(0, 12);
  ftyp.write('mif1heic', 16, 'latin1');
  return Buffer.concat([ftyp, Buffer.alloc(200, 7)]);
}

export function dataUrl(bytes: Buffer, mediaType = 'image/png'): string {
  return `data:${mediaType};base64,${bytes.toString('base64')}`;
}

/** A BMP file (BITMAPINFOHEADER, uncompressed, bottom-up) whose pixel bytes, after the 54-byte header, are all zero. */
export function emptyBmp(width: number, height: number, bitsPerPixel: 24 | 32, pixelBytes: number): Buffer {
  const out = Buffer.alloc(54 + pixelBytes);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bitsPerPixel, 28);
  return out;
}
