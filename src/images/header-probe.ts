import { ImageProblem } from './image-problem.ts';
import type { SniffedFormat } from './sniff-format.ts';

// Width, height, frame count and alpha from the headers alone, for the formats upstreams
// take (JPEG, PNG, GIF, WebP) and BMP. No pixel is decoded: this walks a few segment or
// chunk headers, so a 5 MB JPEG costs microseconds. TIFF, AVIF and HEIC go to sharp's
// metadata() (also header-only) instead.
//
// `suspect` means the header was fine but the end of the file is not where it should be
// (no JPEG EOI, no PNG IEND, no GIF trailer): the caller then verifies by decoding, since
// some valid files carry trailing data (motion photos append a video after the JPEG).

export interface HeaderProbe {
  width: number;
  height: number;
  /** More than one frame (animated GIF/WebP/APNG). */
  multiFrame: boolean;
  hasAlpha: boolean | null;
  suspect: boolean;
  /** EXIF orientation (JPEG): 2–8 mean the stored pixels are turned or mirrored; absent for 1. */
  orientation?: number;
  /** Few colours (a palette, black and white: scans, charts), which PNG keeps exactly and small. */
  flat?: boolean;
}

const TAIL = 4096;

export function probeHeader(format: SniffedFormat, b: Buffer): HeaderProbe | null {
  switch (format) {
    case 'jpeg':
      return probeJpeg(b);
    case 'png':
      return probePng(b);
    case 'gif':
      return probeGif(b);
    case 'webp':
      return probeWebp(b);
    case 'bmp':
      return probeBmp(b);
    default:
      return null;
  }
}

function corrupt(format: string, what: string): ImageProblem {
  return new ImageProblem('invalid_image', `The ${format} image is truncated or corrupt (${what}).`);
}

function probeJpeg(b: Buffer): HeaderProbe {
  let i = 2;
  let orientation: number | undefined;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw corrupt('JPEG', 'bad marker');
    const marker = b[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw corrupt('JPEG', 'no frame header');
    const length = b.readUInt16BE(i + 2);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (i + 9 > b.length) break;
      const height = b.readUInt16BE(i + 5);
      const width = b.readUInt16BE(i + 7);
      if (width === 0 || height === 0) throw corrupt('JPEG', 'zero size');
      return { width, height, multiFrame: false, hasAlpha: false, suspect: !hasBytesNearEnd(b, [0xff, 0xd9]), ...(orientation ? { orientation } : {}) };
    }
    if (marker === 0xe1 && orientation === undefined) orientation = exifOrientation(b, i + 4, Math.min(b.length, i + 2 + length));
    i += 2 + length;
  }
  throw corrupt('JPEG', 'ends before the frame header');
}

/**
 * The Orientation tag (0x0112) of an APP1 Exif segment's first IFD, when it says the picture is
 * turned or mirrored (2–8); undefined otherwise, or for anything malformed (the decoder judges).
 */
function exifOrientation(b: Buffer, start: number, end: number): number | undefined {
  if (end - start < 14 || b.toString('latin1', start, start + 6) !== 'Exif\0\0') return undefined;
  return tiffOrientation(b, start + 6, end);
}

/** The Orientation tag of EXIF data that starts at its TIFF header (`II*` or `MM*`), 2–8 only. */
function tiffOrientation(b: Buffer, tiff: number, end: number): number | undefined {
  if (end > b.length || end - tiff < 8) return undefined;
  const order = b.toString('latin1', tiff, tiff + 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const u16 = (at: number) => (order === 'II' ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (order === 'II' ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return undefined;
  const count = u16(ifd);
  for (let k = 0; k < count; k++) {
    const entry = ifd + 2 + k * 12;
    if (entry + 12 > end) return undefined;
    if (u16(entry) !== 0x0112) continue;
    const value = u16(entry + 8); // a SHORT, left-justified in the value field
    return value >= 2 && value <= 8 ? value : undefined;
  }
  return undefined;
}

function probePng(b: Buffer): HeaderProbe {
  if (b.length < 33 || b.toString('latin1', 12, 16) !== 'IHDR') throw corrupt('PNG', 'no IHDR');
  const width = b.readUInt32BE(16);
  const height = b.readUInt32BE(20);
  if (width === 0 || height === 0) throw corrupt('PNG', 'zero size');
  const colorType = b[25];
  let hasAlpha = colorType === 4 || colorType === 6;
  let multiFrame = false;
  let orientation: number | undefined;
  // Walk the chunks before the image data: acTL marks an animated PNG, tRNS adds alpha.
  let i = 8;
  while (i + 8 <= b.length) {
    const length = b.readUInt32BE(i);
    const type = b.toString('latin1', i + 4, i + 8);
    if (type === 'IDAT') break;
    if (type === 'acTL' && i + 12 <= b.length) multiFrame = b.readUInt32BE(i + 8) > 1;
    if (type === 'tRNS') hasAlpha = true;
    // EXIF as PNG keeps it (eXIf, before the image data as the spec asks): its orientation.
    if (type === 'eXIf' && orientation === undefined) orientation = tiffOrientation(b, i + 8, i + 8 + length);
    i += 12 + length;
  }
  if (i + 8 > b.length) throw corrupt('PNG', 'no image data');
  return { width, height, multiFrame, hasAlpha, suspect: !hasBytesNearEnd(b, [0x49, 0x45, 0x4e, 0x44]), ...(orientation ? { orientation } : {}) };
}

function probeGif(b: Buffer): HeaderProbe {
  if (b.length < 13) throw corrupt('GIF', 'short header');
  // The logical screen, grown below to cover every frame: decoders size the canvas by the
  // frames, so a header that says 10×10 over a 9000×9000 frame must not pass as small.
  let width = b.readUInt16LE(6);
  let height = b.readUInt16LE(8);
  if (width === 0 || height === 0) throw corrupt('GIF', 'zero size');
  const flags = b[10];
  let i = 13 + (flags & 0x80 ? 3 * (2 << (flags & 7)) : 0);
  let frames = 0;
  let hasAlpha = false;
  const skipSubBlocks = () => {
    while (i < b.length) {
      const n = b[i];
      i++;
      if (n === 0) return;
      i += n;
    }
  };
  // Every frame's extent, and a missing trailer.
  while (i < b.length) {
    const block = b[i];
    if (block === 0x3b) break;
    if (block === 0x21) {
      if (b[i + 1] === 0xf9 && i + 3 < b.length && b[i + 3] & 1) hasAlpha = true; // transparency flag
      i += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      frames++;
      if (i + 10 > b.length) break;
      width = Math.max(width, b.readUInt16LE(i + 1) + b.readUInt16LE(i + 5));
      height = Math.max(height, b.readUInt16LE(i + 3) + b.readUInt16LE(i + 7));
      const local = b[i + 9];
      i += 10 + (local & 0x80 ? 3 * (2 << (local & 7)) : 0) + 1;
      skipSubBlocks();
    } else {
      throw corrupt('GIF', 'unknown block');
    }
  }
  if (frames === 0) throw corrupt('GIF', 'no frame');
  const ended = i < b.length && b[i] === 0x3b;
  return { width, height, multiFrame: frames > 1, hasAlpha, suspect: frames < 2 && !ended };
}

function probeWebp(b: Buffer): HeaderProbe {
  if (b.length < 30) throw corrupt('WebP', 'short header');
  if (b.readUInt32LE(4) + 8 > b.length) throw corrupt('WebP', 'shorter than its RIFF header says');
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) throw corrupt('WebP', 'bad VP8 start code');
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff, multiFrame: false, hasAlpha: false, suspect: false };
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) throw corrupt('WebP', 'bad VP8L signature');
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, multiFrame: false, hasAlpha: ((bits >>> 28) & 1) === 1, suspect: false };
  }
  if (chunk === 'VP8X') {
    const flags = b[20];
    // The EXIF flag: its chunk comes after the image data, so the chunk headers are walked to it.
    const orientation = (flags & 0x08) !== 0 ? webpExifOrientation(b) : undefined;
    return {
      width: 1 + b.readUIntLE(24, 3),
      height: 1 + b.readUIntLE(27, 3),
      multiFrame: (flags & 0x02) !== 0,
      hasAlpha: (flags & 0x10) !== 0,
      suspect: false,
      ...(orientation ? { orientation } : {}),
    };
  }
  throw corrupt('WebP', 'unknown chunk');
}

/** The orientation in an extended WebP's EXIF chunk (TIFF data, or `Exif\0\0` and TIFF data as some writers put it). */
function webpExifOrientation(b: Buffer): number | undefined {
  for (let i = 12; i + 8 <= b.length; ) {
    const length = b.readUInt32LE(i + 4);
    if (b.toString('latin1', i, i + 4) === 'EXIF') {
      const start = i + 8;
      const end = Math.min(b.length, start + length);
      return b.toString('latin1', start, start + 6) === 'Exif\0\0' ? exifOrientation(b, start, end) : tiffOrientation(b, start, end);
    }
    i += 8 + length + (length & 1); // chunks are padded to an even size
  }
  return undefined;
}

function probeBmp(b: Buffer): HeaderProbe {
  if (b.readUInt32LE(2) > b.length) throw corrupt('BMP', 'shorter than its header says');
  const dib = b.readUInt32LE(14);
  // Sniffing needs only 26 bytes: the whole DIB header must be there before it is read here
  // (and by the BMP decoder after this), or a short file throws a RangeError, not a 400.
  if (b.length < 14 + dib) throw corrupt('BMP', 'short header');
  const core = dib === 12;
  const width = core ? b.readUInt16LE(18) : b.readInt32LE(18);
  const height = Math.abs(core ? b.readInt16LE(20) : b.readInt32LE(22));
  if (width <= 0 || height === 0) throw corrupt('BMP', 'zero size');
  const bpp = b.readUInt16LE(core ? 24 : 28);
  return { width, height, multiFrame: false, hasAlpha: bpp === 32, suspect: false, flat: bpp <= 8 };
}

/** Does `needle` occur within the last few KB (where an end marker belongs)? */
function hasBytesNearEnd(b: Buffer, needle: number[]): boolean {
  const start = Math.max(0, b.length - TAIL);
  return b.subarray(start).lastIndexOf(Buffer.from(needle)) >= 0;
}
