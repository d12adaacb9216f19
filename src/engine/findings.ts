// What the engine saw in one image: the contract between the recognition workers and the
// answer composer. Plain data (structured-clonable), and what `response_format: json_object`
// returns, so field names are meant for API users.

export type ImageOrientation = 'landscape' | 'portrait' | 'square';

export interface DetectedObject {
  /** COCO class name, e.g. `dog`, `traffic light`. */
  label: string;
  score: number;
  /** [x, y, width, height] as fractions of the (upright) image. */
  box: [number, number, number, number];
  /** Main colours of the middle of the box (the area, which includes background). */
  colour?: string | null;
}

export interface ObjectCount {
  label: string;
  count: number;
  /** Best detection score of the class. */
  confidence: number;
}

export interface FaceFinding {
  score: number;
  box: [number, number, number, number];
}

export interface ColourFinding {
  name: string;
  /** Share of the image's pixels, 0..1. */
  share: number;
  /** Mean colour of those pixels. */
  hex: string;
}

export interface TextFinding {
  lines: string[];
  /** Mean word confidence of the kept words, 0..100. */
  confidence: number;
}

export interface ImageFindings {
  format: string;
  /** Upright size (after EXIF orientation), in pixels. */
  width: number;
  height: number;
  megapixels: number;
  orientation: ImageOrientation;
  /** EXIF orientation tag when present (1 = upright); the image was turned upright before analysis. */
  exifOrientation: number | null;
  bytes: number;
  frames: number;
  hasAlpha: boolean;
  objects: ObjectCount[];
  detections: DetectedObject[];
  /** People: COCO `person` detections (or faces, when more faces than bodies are visible). */
  people: number;
  faces: FaceFinding[];
  /** Printed text line by line; null when none was found or OCR did not run. */
  text: TextFinding | null;
  /** Whether OCR ran (it is skipped on images that do not look like they hold text). */
  textChecked: boolean;
  colours: ColourFinding[];
  timingsMs: { decode: number; objects: number; faces: number; ocr: number; total: number };
}

export type OcrMode = 'auto' | 'always' | 'never';

export interface AnalyseTask {
  image: Uint8Array;
  ocr: OcrMode;
}

export type AnalyseResult =
  | { ok: true; findings: ImageFindings }
  | { ok: false; error: 'invalid_image' | 'engine_error'; message: string };
