import sharp, { type Metadata } from 'sharp';
import type { Worker as Tesseract } from 'tesseract.js';
import { dominantColours, regionColour } from '../dominant-colours.ts';
import type { AnalyseResult, AnalyseTask, ImageFindings, ImageOrientation } from '../findings.ts';
import { selectObjects } from '../select-objects.ts';
import { measureTextLikeness } from '../text-likeness.ts';
import { detectFaces, detectObjects, type Frame } from './detect.ts';
import type { HumanLike } from './load-human.ts';
import { readText } from './read-text.ts';

// One image, start to finish, inside a worker: decode once (shrink-on-load for big JPEGs)
// to a 640 px frame for detection, colours and the text-likeness test; OCR from the
// full-resolution upright image only when it is asked for or the image looks like text,
// running in tesseract's own thread while detection runs here.

/** Long edge of the detection frame; centernet sees 512 px anyway. */
export const FRAME_EDGE = 640;
export const MAX_PIXELS = 50_000_000;
const FACE_MIN = 0.6;

export interface Models {
  human: HumanLike;
  tesseract: Tesseract;
}

export async function analyseImage(models: Models, task: AnalyseTask): Promise<AnalyseResult> {
  const started = performance.now();
  const input = Buffer.from(task.image.buffer, task.image.byteOffset, task.image.byteLength);
  let meta: Metadata;
  try {
    meta = await sharp(input, { limitInputPixels: MAX_PIXELS }).metadata();
  } catch (err) {
    return { ok: false, error: 'invalid_image', message: `The image could not be decoded: ${reason(err)}` };
  }
  if (!meta.width || !meta.height) return { ok: false, error: 'invalid_image', message: 'The image has no size.' };
  if (meta.width * meta.height > MAX_PIXELS) {
    return { ok: false, error: 'invalid_image', message: `The image has ${meta.width}x${meta.height} pixels; at most ${MAX_PIXELS / 1e6} megapixels are accepted.` };
  }
  const turned = (meta.orientation ?? 1) >= 5;
  const width = turned ? meta.height : meta.width;
  const height = turned ? meta.width : meta.height;
  const upright = sharp(input, { limitInputPixels: MAX_PIXELS, failOn: 'none' }).rotate();

  let frame: Frame;
  try {
    const { data, info } = await upright
      .clone()
      .resize({ width: FRAME_EDGE, height: FRAME_EDGE, fit: 'inside', withoutEnlargement: true })
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`unexpected ${info.channels} channels`);
    frame = { rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (err) {
    return { ok: false, error: 'invalid_image', message: `The image could not be decoded: ${reason(err)}` };
  }
  const decodeMs = performance.now() - started;

  const grey = new Uint8Array(frame.width * frame.height);
  for (let i = 0, j = 0; j < grey.length; i += 3, j++) grey[j] = (frame.rgb[i]! * 77 + frame.rgb[i + 1]! * 150 + frame.rgb[i + 2]! * 29) >> 8;
  const likeness = measureTextLikeness(grey, frame.width, frame.height);
  const runOcr = task.ocr === 'always' || (task.ocr === 'auto' && likeness.likely);

  const timings = { decode: decodeMs, objects: 0, faces: 0, ocr: 0, total: 0 };
  const ocrStarted = performance.now();
  const textPromise = runOcr
    ? readText(models.tesseract, upright, task.ocr !== 'always').finally(() => (timings.ocr = performance.now() - ocrStarted))
    : Promise.resolve(null);
  // Keep a failing OCR from becoming an unhandled rejection while detection runs.
  textPromise.catch(() => undefined);

  let t = performance.now();
  const raw = await detectObjects(models.human, frame);
  // Documents and flat synthetic graphics (far flatter than any photo, whose flat share is
  // 0.4–0.65) get the stricter bar: the detector sees stop signs in red discs.
  const selected = selectObjects(raw, { graphic: likeness.likely || likeness.flat > 0.85 });
  const counts = selected.counts;
  const detections = selected.detections.map((d) => ({ ...d, colour: regionColour(frame.rgb, frame.width, frame.height, d.box) }));
  timings.objects = performance.now() - t;

  // Faces only where people are: blazeface also finds dogs' and horses' faces.
  const bodies = counts.find((c) => c.label === 'person')?.count ?? 0;
  let faces: ImageFindings['faces'] = [];
  if (bodies > 0) {
    t = performance.now();
    faces = await detectFaces(models.human, frame, FACE_MIN);
    timings.faces = performance.now() - t;
  }
  const colours = dominantColours(frame.rgb, { step: 2 });
  const text = await textPromise;
  timings.total = performance.now() - started;

  const findings: ImageFindings = {
    format: meta.format === 'heif' ? 'heic' : (meta.format ?? 'unknown'),
    width,
    height,
    megapixels: Math.round((width * height) / 1e5) / 10,
    orientation: orientationOf(width, height),
    exifOrientation: meta.orientation ?? null,
    bytes: input.byteLength,
    frames: meta.pages ?? 1,
    hasAlpha: meta.hasAlpha ?? false,
    objects: counts,
    detections,
    people: Math.max(bodies, faces.length),
    faces,
    text,
    textChecked: runOcr,
    colours,
    timingsMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])) as ImageFindings['timingsMs'],
  };
  return { ok: true, findings };
}

function orientationOf(width: number, height: number): ImageOrientation {
  const ratio = width / height;
  return ratio > 1.05 ? 'landscape' : ratio < 0.95 ? 'portrait' : 'square';
}

function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // sharp/libvips messages can be long and multi-line; the first line is the useful one.
  return message.split('\n')[0]!.replace(/^Input buffer /, '').slice(0, 200);
}
