import type { ImageTokensConfig } from '../config/providers-config.ts';
import type { ImageDetail } from '../openai/types.ts';

// Prompt-token estimates for one image, by the formula of the target model's family
// (shared/reference/wire-formats.md §2d, §2e, §2f). Pure functions of size and detail.
// Providers' reported usage stays the source of truth; these feed rate limits and quotas.

export type TokenFormula =
  | {
      kind: 'tiles';
      base: number;
      perTile: number;
      /** The shortest side is brought down to this (768; gpt-image-1 uses 512). */
      shortSide: number;
      /** First fit within this square (2048). */
      fitEdge: number;
    }
  | ({
      kind: 'patches';
      multiplier: number;
      /** Newer models: other limits at some detail levels (gpt-5.4 low, gpt-5.5 and 5.6 auto). */
      byDetail?: Partial<Record<ImageDetail, PatchLimits>>;
    } & PatchLimits)
  | { kind: 'anthropic'; maxEdge: number; maxPixels: number; pixelsPerToken: number }
  /** perImage: Gemini 3's media_resolution budget, spent whatever the size; null: tiles. */
  | { kind: 'gemini'; perTile: number; smallEdge: number; perImage: number | null }
  | { kind: 'none' };

export interface PatchLimits {
  /** Patch budget (1536 in the older guide; 2500 / 6144 / 10,000 for newer models; Infinity: none). */
  cap: number;
  /** Newer revision: first fit within this square; null: no pre-fit. */
  fitEdge: number | null;
}

const TILES = (base: number, perTile: number, shortSide = 768): TokenFormula => ({ kind: 'tiles', base, perTile, shortSide, fitEdge: 2048 });
const PATCHES = (multiplier: number, cap = 1536, fitEdge: number | null = null, byDetail?: Partial<Record<ImageDetail, PatchLimits>>): TokenFormula =>
  ({ kind: 'patches', cap, multiplier, fitEdge, ...(byDetail ? { byDetail } : {}) });
/** Long edge 1568; 784×1568 is the largest size Anthropic lists as not resized. */
const ANTHROPIC: TokenFormula = { kind: 'anthropic', maxEdge: 1568, maxPixels: 784 * 1568, pixelsPerToken: 750 };
const GEMINI: TokenFormula = { kind: 'gemini', perTile: 258, smallEdge: 384, perImage: null };
/** Iris sends no media_resolution, so Gemini 3 spends its default on each image: HIGH, 1120 tokens. */
const GEMINI_3: TokenFormula = { ...GEMINI, perImage: 1120 };

/** Most specific first; matched against the upstream model id without any `vendor/` prefix. */
const MODEL_DEFAULTS: Array<[RegExp, TokenFormula]> = [
  [/^gpt-4o-mini/, TILES(2833, 5667)],
  [/^(gpt-4o|chatgpt-4o|gpt-4\.5)/, TILES(85, 170)],
  [/^gpt-4\.1-mini/, PATCHES(1.62)],
  [/^gpt-4\.1-nano/, PATCHES(2.46)],
  [/^gpt-4\.1/, TILES(85, 170)],
  [/^o4-mini/, PATCHES(1.72)],
  [/^(o1|o3)(-|$)/, TILES(75, 150)],
  [/^computer-use/, TILES(65, 129)],
  [/^gpt-image-1/, TILES(65, 129, 512)],
  [/^gpt-5-mini/, PATCHES(1.2, 1536, 2048)],
  [/^gpt-5-nano/, PATCHES(1.5, 1536, 2048)],
  // Detail levels differ from gpt-5.4 on (the reference's "limits per model family"); the
  // `high` limits are the default, and gpt-5.5 says nothing of `low`.
  [/^gpt-5\.4/, PATCHES(1.2, 2500, 2048, { low: { cap: 6144, fitEdge: 2048 } })],
  [/^gpt-5\.5/, PATCHES(1.2, 2500, 2048, { auto: { cap: 10_000, fitEdge: 6000 } })],
  [/^gpt-5\.6/, PATCHES(1.2, 2500, 2048, { low: { cap: Infinity, fitEdge: 512 }, auto: { cap: Infinity, fitEdge: 65_535 } })],
  [/^gpt-5\.[23]/, PATCHES(1.2, 6144, 2048)],
  [/^gpt-5/, TILES(70, 140)],
  [/claude/, ANTHROPIC],
  [/gemini-(?:[3-9]|\d{2,})(?:[.-]|$)/, GEMINI_3],
  [/gemini/, GEMINI],
];

/** For models not in the table (vLLM, Ollama, …): GPT-4o's tiles, the most common yardstick. */
const GENERIC = TILES(85, 170);

export function defaultFormulaFor(upstreamModel: string): TokenFormula {
  return knownFormula(upstreamModel) ?? GENERIC;
}

/** The formula of a model family in the table, or null for a model outside it. */
export function knownFormula(upstreamModel: string): TokenFormula | null {
  const name = upstreamModel.toLowerCase().split('/').pop() ?? '';
  return MODEL_DEFAULTS.find(([pattern]) => pattern.test(name))?.[1] ?? null;
}

/**
 * The size a model looks at an image, where OpenAI's guide says how it brings anything larger
 * down before the model sees it (tiles and patches): pixels past it are uploaded only to be
 * thrown away. Null where that is not known for sure: Anthropic (its newer models see more
 * than the 1568 px its guide gives, by how much is not published), Gemini (which crops rather
 * than downscales), `none`, `detail: original`, and `detail: low` on tile models (lowDetailEdge() covers it).
 */
export function seenSize(formula: TokenFormula, width: number, height: number, detail: ImageDetail = 'auto'): { width: number; height: number } | null {
  // `original` asks the model to see the image as it is: what it sees is not scaled down here.
  if (width <= 0 || height <= 0 || detail === 'original') return null;
  switch (formula.kind) {
    case 'tiles':
      return detail === 'low' ? null : tilesSeen(formula, width, height);
    case 'patches': {
      const limits = formula.byDetail?.[detail] ?? formula;
      if (detail === 'low' && !formula.byDetail?.low) return null;
      return patchesSeen(limits, width, height).size;
    }
    default:
      return null;
  }
}

/** The model's default formula, with the configured formula and constants laid over it. */
/**
 * The longest edge a `detail: low` image is worth sending at: what the model sees at low detail
 * (a patch model's own low-detail fit, 2048 px for gpt-5.4), else 512 px, where OpenAI's tile
 * models see it.
 */
export function lowDetailEdge(formula: TokenFormula): number {
  const fit = formula.kind === 'patches' ? formula.byDetail?.low?.fitEdge : null;
  return fit ?? LOW_DETAIL_EDGE;
}

/** Where OpenAI's tile models see a `detail: low` image. */
export const LOW_DETAIL_EDGE = 512;

export function resolveFormula(upstreamModel: string, config?: ImageTokensConfig): TokenFormula {
  const fallback = defaultFormulaFor(upstreamModel);
  if (!config) return fallback;
  const base: TokenFormula =
    fallback.kind === config.formula
      ? fallback
      : config.formula === 'tiles' ? TILES(85, 170)
      : config.formula === 'patches' ? PATCHES(1)
      : config.formula === 'anthropic' ? ANTHROPIC
      : config.formula === 'gemini' ? GEMINI
      : { kind: 'none' };
  switch (base.kind) {
    case 'tiles':
      return { ...base, base: config.base ?? base.base, perTile: config.per_tile ?? base.perTile };
    case 'patches': {
      const multiplier = config.multiplier ?? base.multiplier;
      // A configured budget holds at every detail level.
      return config.patch_cap == null ? { ...base, multiplier } : { kind: 'patches', cap: config.patch_cap, fitEdge: base.fitEdge, multiplier };
    }
    case 'gemini':
      // A configured tile cost means tiles, on Gemini 3 too.
      return config.per_tile == null ? base : { ...base, perTile: config.per_tile, perImage: null };
    default:
      return base;
  }
}

export function estimateImageTokens(formula: TokenFormula, width: number, height: number, detail: ImageDetail = 'auto'): number {
  if (width <= 0 || height <= 0) return 0;
  switch (formula.kind) {
    case 'tiles':
      return tiles(formula, width, height, detail);
    case 'patches':
      return patches(formula.byDetail?.[detail] ?? formula, formula.multiplier, width, height);
    case 'anthropic':
      return anthropic(formula, width, height);
    case 'gemini':
      return gemini(formula, width, height);
    case 'none':
      return 0;
  }
}

/**
 * When the upstream fetches the URL itself Iris never sees the size: estimate as for a
 * typical 1024×1024 photo (the low-detail cost when detail is low, where the formula has one).
 */
export const UNKNOWN_SIZE_ASSUMED = 1024;
export function estimateUnknownSizeTokens(formula: TokenFormula, detail: ImageDetail = 'auto'): number {
  return estimateImageTokens(formula, UNKNOWN_SIZE_ASSUMED, UNKNOWN_SIZE_ASSUMED, detail);
}

function tiles(f: Extract<TokenFormula, { kind: 'tiles' }>, width: number, height: number, detail: ImageDetail): number {
  if (detail === 'low') return f.base;
  const { width: w, height: h } = tilesSeen(f, width, height);
  return f.base + Math.ceil(w / 512) * Math.ceil(h / 512) * f.perTile;
}

function tilesSeen(f: Extract<TokenFormula, { kind: 'tiles' }>, width: number, height: number): { width: number; height: number } {
  let w = width;
  let h = height;
  // Fit within fitEdge×fitEdge (never enlarging), then bring the short side down to shortSide.
  const fit = Math.min(1, f.fitEdge / Math.max(w, h));
  if (fit < 1) {
    // At least 1: a 20000×2 image still covers a row of tiles.
    w = Math.max(1, Math.floor(w * fit));
    h = Math.max(1, Math.floor(h * fit));
  }
  const shortest = Math.min(w, h);
  if (shortest > f.shortSide) {
    const s = f.shortSide / shortest;
    w = w === shortest ? f.shortSide : Math.floor(w * s);
    h = h === shortest ? f.shortSide : Math.floor(h * s);
  }
  return { width: w, height: h };
}

function patches(f: PatchLimits, multiplier: number, width: number, height: number): number {
  return Math.ceil(patchesSeen(f, width, height).count * multiplier - 1e-9);
}

/** The patch count, and the size the image is brought to for it (whole pixels, at least 1). */
function patchesSeen(f: PatchLimits, width: number, height: number): { count: number; size: { width: number; height: number } } {
  let w = width;
  let h = height;
  if (f.fitEdge !== null && Math.max(w, h) > f.fitEdge) {
    const fit = f.fitEdge / Math.max(w, h);
    w *= fit;
    h *= fit;
  }
  let count = ceilish(w / 32) * ceilish(h / 32);
  if (count > f.cap) {
    // Shrink to the budget, then to a whole number of patches along the tighter side (at
    // least one: a sliver's short side can end up under a patch, which would make it free).
    let r = Math.sqrt((32 * 32 * f.cap) / (w * h));
    const whole = (side: number) => Math.max(1, Math.floor((side * r) / 32)) / ((side * r) / 32);
    r *= Math.min(whole(w), whole(h));
    count = Math.min(f.cap, ceilish((w * r) / 32) * ceilish((h * r) / 32));
    w *= r;
    h *= r;
  }
  // Rounded up as the patches are: a side that ends inside a patch keeps that patch.
  return { count, size: { width: Math.max(1, ceilish(w)), height: Math.max(1, ceilish(h)) } };
}

function anthropic(f: Extract<TokenFormula, { kind: 'anthropic' }>, width: number, height: number): number {
  const { width: w, height: h } = anthropicSeen(f, width, height);
  return Math.ceil((w * h) / f.pixelsPerToken);
}

function anthropicSeen(f: Extract<TokenFormula, { kind: 'anthropic' }>, width: number, height: number): { width: number; height: number } {
  const s = Math.min(1, f.maxEdge / Math.max(width, height), Math.sqrt(f.maxPixels / (width * height)));
  // At least 1 px: a resized sliver is still an image.
  return s < 1 ? { width: Math.max(1, Math.floor(width * s)), height: Math.max(1, Math.floor(height * s)) } : { width, height };
}

function gemini(f: Extract<TokenFormula, { kind: 'gemini' }>, width: number, height: number): number {
  if (f.perImage !== null) return f.perImage;
  if (width <= f.smallEdge && height <= f.smallEdge) return f.perTile;
  // Crop unit from the short side, kept within 256–768 px (our bound: without it a thin
  // strip would count hundreds of tiles) — tiles of at most 768×768 as Google describes.
  const unit = Math.min(768, Math.max(256, Math.floor(Math.min(width, height) / 1.5)));
  return Math.ceil(width / unit) * Math.ceil(height / unit) * f.perTile;
}

/** ceil that forgives floating-point noise: 1408.0000000002 / 32 is 44 patches, not 45. */
function ceilish(x: number): number {
  return Math.ceil(x - 1e-9);
}
