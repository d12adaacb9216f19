import { ImageProblem } from './image-problem.ts';

// libvips (as shipped with sharp) has no BMP loader, and no upstream takes BMP: decode the
// common uncompressed kinds (24/32-bit, and 8-bit with a palette) to raw pixels for sharp.
// Run only after the pixel-count check, so the buffer allocated here is bounded.

export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

export function decodeBmp(b: Buffer): RawImage {
  const offset = b.readUInt32LE(10);
  const dib = b.readUInt32LE(14);
  if (dib < 40) throw unsupported('OS/2 bitmap headers');
  const width = b.readInt32LE(18);
  const rawHeight = b.readInt32LE(22);
  const height = Math.abs(rawHeight);
  const topDown = rawHeight < 0;
  const bpp = b.readUInt16LE(28);
  const compression = b.readUInt32LE(30);
  // 0 = BI_RGB; 3 = BI_BITFIELDS, accepted for 32-bit with the usual BGRA masks.
  if (!(compression === 0 || (compression === 3 && bpp === 32))) throw unsupported('compressed bitmaps');
  if (bpp !== 24 && bpp !== 32 && bpp !== 8) throw unsupported(`${bpp}-bit bitmaps`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (offset + stride * height > b.length) throw new ImageProblem('invalid_image', 'The BMP image is truncated or corrupt (pixel data too short).');
  const channels = bpp === 32 ? 4 : 3;
  let palette: Buffer | null = null;
  if (bpp === 8) {
    const colours = b.readUInt32LE(46) || 256;
    palette = b.subarray(14 + dib, 14 + dib + colours * 4);
  }
  const out = Buffer.allocUnsafe(width * height * channels);
  let alphaSeen = 0; // OR of all alpha bytes: 0 means the fourth byte is unused padding
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * channels;
    for (let x = 0; x < width; x++) {
      if (palette) {
        const p = b[row + x] * 4;
        out[o++] = palette[p + 2] ?? 0;
        out[o++] = palette[p + 1] ?? 0;
        out[o++] = palette[p] ?? 0;
      } else {
        const p = row + x * (bpp / 8);
        out[o++] = b[p + 2];
        out[o++] = b[p + 1];
        out[o++] = b[p];
        if (channels === 4) alphaSeen |= out[o++] = b[p + 3];
      }
    }
  }
  // Most 32-bit bitmaps (BI_RGB, and BI_BITFIELDS without an alpha mask) leave the fourth byte
  // zero: read as alpha, the picture would be wholly transparent. Such a bitmap is opaque.
  if (channels === 4 && alphaSeen === 0) for (let i = 3; i < out.length; i += 4) out[i] = 255;
  return { data: out, width, height, channels };
}

function unsupported(what: string): ImageProblem {
  return new ImageProblem('unsupported_image_media_type', `BMP images are accepted only uncompressed (8, 24 or 32-bit); ${what} are not supported. Send PNG or JPEG.`);
}
