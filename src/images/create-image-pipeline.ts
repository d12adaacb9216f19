import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { ImagesConfig } from '../config/images-config.ts';
import { ApiError } from '../openai/api-error.ts';
import { mapImageUrls } from '../openai/map-image-urls.ts';
import type { ChatCompletionRequest, ImageDetail, ImagePart } from '../openai/types.ts';
import type { CallContext } from '../providers/provider.ts';
import { verbatimBytes } from '../json/verbatim-strings.ts';
import { dataUrlByteLength, dataUrlSlice, decodeDataUrl, isDataUrl, toDataUrl } from './data-url.ts';
import { createGuardedFetcher, ImageFetchError, parseFetchUrl, type GuardedFetcher } from './guarded-fetch.ts';
import { probeHeader } from './header-probe.ts';
import { probeWithSharp, transformImage, verifyDecodable, type EncodedImage } from './image-codec.ts';
import type { ImagePipeline, ImageTarget, PreparedImage, PreparedRequest } from './image-pipeline.ts';
import { ImageProblem } from './image-problem.ts';
import { estimateImageTokens, estimateUnknownSizeTokens, knownFormula, lowDetailEdge, resolveFormula, seenSize, type TokenFormula } from './image-tokens.ts';
import { InflightBudget, type Lease } from './inflight-budget.ts';
import { LruByteCache } from './lru-byte-cache.ts';
import { TransformSlots } from './transform-slots.ts';
import { availableParallelism } from 'node:os';
import { planImage, type PlanReason } from './plan-image.ts';
import { redactUrl } from './redact-url.ts';
import { MEDIA_TYPES, sniffFormat, type SniffedFormat } from './sniff-format.ts';

// The image ingest pipeline: for every image part of a request, find the bytes (data URL,
// or a guarded fetch), learn type and size from the headers, refuse what is broken or too
// big, convert or downscale only what the upstream cannot take, and estimate its tokens.
// An image that already fits is forwarded as the very string the client sent (for a long
// data URL, its placeholder: the client's bytes are read here and written upstream as is).

export interface PipelineDeps {
  fetcher?: GuardedFetcher;
  budget?: InflightBudget;
  slots?: TransformSlots;
}

export interface ImagePipelineHandle extends ImagePipeline {
  readonly budget: InflightBudget;
  readonly cache: LruByteCache<CachedBytes | EncodedImage>;
  close(): Promise<void>;
}

/** Raw bytes of a fetched URL, and the type its server declared (for messages only). */
interface CachedBytes {
  bytes: Buffer;
  contentType: string | null;
}

/** What Iris adds to the contract's PreparedImage (all optional for other pipelines). */
export interface PreparedImageDetails {
  /** Where the bytes came from. */
  source: 'data_url' | 'fetched' | 'passthrough_url';
  /** What was done to the bytes; empty when they go on as sent. */
  changes: PlanReason[];
  originalWidth: number | null;
  originalHeight: number | null;
  /** Size of the bytes sent on (null when the upstream fetches the URL). */
  bytes: number | null;
  /** Served from the URL or prepared-image cache. */
  cached: boolean;
}

interface PartRef {
  messageIndex: number;
  partIndex: number;
  part: ImagePart;
  param: string;
}

export function createImagePipeline(config: ImagesConfig, log: Logger, deps: PipelineDeps = {}): ImagePipelineHandle {
  const fetcher =
    deps.fetcher ??
    createGuardedFetcher({
      allowHosts: config.fetch.allow_hosts,
      denyHosts: config.fetch.deny_hosts,
      maxBytes: config.fetch.max_bytes,
      timeoutMs: config.fetch.timeout_ms,
      maxRedirects: config.fetch.max_redirects,
      userAgent: config.fetch.user_agent,
      defaultTtlMs: config.fetch.default_ttl_s * 1000,
    });
  const budget = deps.budget ?? new InflightBudget(config.inflight_bytes, config.inflight_wait_ms);
  const cache = new LruByteCache<CachedBytes | EncodedImage>(config.cache_bytes);
  const slots = deps.slots ?? new TransformSlots(config.transform_concurrency ?? availableParallelism(), config.transform_wait_ms);
  // Data URLs are decoded into one reused buffer for sniffing and probing (synchronously,
  // so no other image can overwrite it meanwhile); an image keeps its own copy only when it
  // must be re-encoded. Images that go on unchanged never hold decoded bytes at all.
  let scratch = Buffer.allocUnsafe(0);
  const scratchFor = (n: number): Buffer => {
    if (scratch.length < n) scratch = Buffer.allocUnsafe(Math.max(n, 1 << 20));
    return scratch;
  };

  async function prepare(request: ChatCompletionRequest, asked: ImageTarget, ctx: CallContext): Promise<PreparedRequest> {
    const refs = findImageParts(request);
    const target = forImageCount(asked, refs.length);
    const max = target.limits.maxImages;
    if (max !== undefined && refs.length > max) {
      throw new ApiError(400, `This model takes at most ${max} images per request; the request has ${refs.length}.`, {
        type: 'invalid_request_error',
        code: 'too_many_images',
        param: 'messages',
      });
    }
    if (refs.length === 0) return { request, images: [], imageTokens: 0, release() {} };

    const formula = resolveFormula(target.upstreamModel, target.tokens);
    const lease = budget.lease();
    // One failing image cancels the others' fetches, budget waits and queued re-encodes: the
    // request is refused already, and the transform slots belong to other requests.
    const stop = new AbortController();
    const signal = refs.length > 1 ? AbortSignal.any([ctx.signal, stop.signal]) : ctx.signal;
    try {
      const results = await Promise.all(
        refs.map((ref) =>
          prepareOne(ref, target, formula, lease, signal, ctx).catch((err: unknown) => {
            stop.abort();
            throw err;
          }),
        ),
      );
      const urls = new Map<PartRef, string>();
      results.forEach((r, i) => {
        if (r.url !== refs[i].part.image_url.url) urls.set(refs[i], r.url);
      });
      const images = results.map((r) => r.image);
      // A client that left while its images were converted: no provider call for it.
      ctx.signal.throwIfAborted();
      return {
        request: urls.size === 0 ? request : withUrls(request, urls),
        images,
        imageTokens: images.reduce((sum, image) => sum + image.tokens, 0),
        release: () => lease.release(),
      };
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  async function prepareOne(
    ref: PartRef,
    target: ImageTarget,
    formula: TokenFormula,
    lease: Lease,
    signal: AbortSignal,
    ctx: CallContext,
  ): Promise<{ url: string; image: PreparedImage & PreparedImageDetails }> {
    const started = performance.now();
    const { log } = ctx;
    const url = ref.part.image_url?.url;
    const detail = ref.part.image_url?.detail;
    try {
      if (typeof url !== 'string' || url.length === 0) throw new ImageProblem('invalid_image_url', 'The image URL is missing.');
      let result: { url: string; image: PreparedImage & PreparedImageDetails };
      if (isDataUrl(url)) {
        // A long data URL is a placeholder here; its text is the client's bytes.
        const text = verbatimBytes(url, ctx.verbatim) ?? url;
        const size = dataUrlByteLength(text);
        if (size > config.fetch.max_bytes) {
          throw new ImageProblem('image_too_large', `The image is ${mb(size)}; the limit is ${mb(config.fetch.max_bytes)}.`);
        }
        await lease.acquire(size, signal);
        const decoded = decodeDataUrl(text, scratchFor(size));
        // Upstream parsers match `data:image/png;` case-sensitively (src/providers/upstream/
        // parse-data-url.ts takes `DATA:IMAGE/PNG;…` for no inline image at all): any other
        // spelling is rewritten. Further parameters are kept, as sent.
        const head = dataUrlSlice(text, 0, Math.min(decoded.payloadStart, 32));
        const sameType = (t: SniffedFormat) => head.startsWith(`data:${MEDIA_TYPES[t]};`);
        const source = { bytes: decoded.bytes, borrowed: true, reread: () => decodeDataUrl(text).bytes };
        result = await fromBytes(ref, source, detail, target, formula, lease, signal, 'data_url', false, (t) =>
          // Unchanged bytes: the client's own URL, its media type corrected if it lied or is spelt otherwise.
          sameType(t) ? url : `data:${MEDIA_TYPES[t]};base64,${dataUrlSlice(text, decoded.payloadStart)}`,
        );
      } else {
        const parsed = parseUrl(url);
        if ((target.limits.acceptsUrls && target.fetchUrls === 'upstream') || target.limits.ownUrls?.test(parsed.href)) {
          result = { url, image: passthroughImage(ref, estimateUnknownSizeTokens(formula, detail)) };
        } else {
          const key = `url:${parsed.href}`;
          const hit = cache.get(key) as CachedBytes | undefined;
          let fetched: CachedBytes;
          if (hit) {
            fetched = hit;
            lease.charge(hit.bytes.length);
          } else {
            const got = await fetcher.fetch(parsed.href, { signal, reserve: (n) => lease.acquire(n, signal) });
            fetched = { bytes: got.bytes, contentType: got.contentType };
            cache.set(key, fetched, got.bytes.length, got.ttlMs);
          }
          const { bytes } = fetched;
          const source = { bytes, borrowed: false, reread: () => bytes, contentType: fetched.contentType };
          result = await fromBytes(ref, source, detail, target, formula, lease, signal, 'fetched', Boolean(hit), (t) => toDataUrl(MEDIA_TYPES[t], bytes));
        }
      }
      const { image } = result;
      if (log.isLevelEnabled('debug')) log.debug(
        {
          param: ref.param,
          source: image.source,
          url: image.source === 'data_url' ? undefined : redactUrl(url),
          format: image.format,
          width: image.width,
          height: image.height,
          bytes: image.bytes,
          changes: image.changes,
          cached: image.cached,
          tokens: image.tokens,
          ms: Math.round((performance.now() - started) * 100) / 100,
        },
        'image prepared',
      );
      return result;
    } catch (err) {
      // The client left: whatever failed (a cancelled fetch) is its leaving, not a bad image.
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw toApiError(err, ref, url, log);
    }
  }

  async function fromBytes(
    ref: PartRef,
    source: { bytes: Buffer; borrowed: boolean; reread: () => Buffer; contentType?: string | null },
    detail: ImageDetail | undefined,
    target: ImageTarget,
    formula: TokenFormula,
    lease: Lease,
    signal: AbortSignal,
    origin: 'data_url' | 'fetched',
    fromCache: boolean,
    unchangedUrl: (format: SniffedFormat) => string,
  ): Promise<{ url: string; image: PreparedImage & PreparedImageDetails }> {
    let { bytes, borrowed } = source;
    /** Before any await, a view of the scratch buffer becomes a buffer of its own. */
    const own = (): Buffer => {
      if (borrowed) {
        bytes = Buffer.from(bytes);
        borrowed = false;
      }
      return bytes;
    };
    const format = sniffFormat(bytes);
    if (!format) throw notAnImage(bytes, source.contentType);
    const probe = probeHeader(format, bytes) ?? (await probeWithSharp(own(), format));
    const pixels = probe.width * probe.height;
    if (pixels > config.max_pixels) {
      throw new ImageProblem(
        'image_too_large',
        `The image is ${probe.width}×${probe.height} (${megapixels(pixels)} megapixels); the limit is ${megapixels(config.max_pixels)} megapixels.`,
      );
    }
    if (probe.suspect) await verifyDecodable(own(), format, config.max_pixels);
    const size = bytes.length;
    // Only a model family in the table is known to be shown its images downscaled; a configured
    // formula is for counting tokens, and a model outside the table may look at every pixel.
    const seenBy = target.tokens ? null : knownFormula(target.upstreamModel);
    const plan = planImage({ format, ...probe, bytes: size }, target.limits, detail, lowDetailEdge(formula), seenBy ? (w, h) => seenSize(seenBy, w, h, detail) : undefined);
    const base = { param: ref.param, messageIndex: ref.messageIndex, partIndex: ref.partIndex, format, originalWidth: probe.width, originalHeight: probe.height, source: origin };

    if (plan.reasons.length === 0) {
      const original = borrowed ? memo(source.reread) : () => bytes;
      const image = {
        ...base, width: probe.width, height: probe.height, tokens: estimateImageTokens(formula, probe.width, probe.height, detail),
        mediaType: MEDIA_TYPES[format], changes: [], bytes: size, cached: fromCache,
      };
      return { url: unchangedUrl(format), image: withLazyBytes(image, original, original) };
    }

    // Re-encoding is the expensive step: cache it by content and by what it was made for.
    const owned = own();
    const hash = lazyHash(() => owned);
    const key = `prep:${hash()}:${plan.output}:${plan.width}x${plan.height}:${target.limits.maxBytes}`;
    let encoded = cache.get(key) as EncodedImage | undefined;
    const cached = encoded !== undefined;
    if (!encoded) {
      encoded = await slots.run(async () => {
        // While it works libvips holds up to about one decoded frame: counted, not waited
        // for (waiting here while holding the input could deadlock the budget).
        const working = Math.min(pixels, 4_000_000) * 4;
        lease.charge(working);
        try {
          return await transformImage(owned, format, plan, target.limits.maxBytes, config.max_pixels);
        } finally {
          lease.giveBack(working);
        }
      }, signal);
      cache.set(key, encoded, encoded.data.length * 2.4); // the bytes and their data URL (a one-byte string)
    }
    lease.charge(encoded.data.length);
    const data = encoded.data;
    const image = {
      ...base, width: encoded.width, height: encoded.height, tokens: estimateImageTokens(formula, encoded.width, encoded.height, detail),
      mediaType: encoded.mediaType, changes: plan.reasons, bytes: data.length, cached: cached || fromCache,
    };
    return { url: dataUrlOf(encoded), image: withLazyBytes(image, () => data, () => owned, hash) };
  }

  return { prepare, budget, cache, close: () => fetcher.close() };
}

function findImageParts(request: ChatCompletionRequest): PartRef[] {
  const refs: PartRef[] = [];
  request.messages.forEach((message, messageIndex) => {
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, partIndex) => {
      if (part?.type !== 'image_url') return;
      refs.push({ messageIndex, partIndex, part, param: `messages[${messageIndex}].content[${partIndex}].image_url.url` });
    });
  });
  return refs;
}

/** A copy of the request with new image URLs; the client's objects are not modified. */
function withUrls(request: ChatCompletionRequest, urls: Map<PartRef, string>): ChatCompletionRequest {
  const byPosition = new Map([...urls].map(([ref, url]) => [`${ref.messageIndex}:${ref.partIndex}`, url]));
  return mapImageUrls(request, (_url, messageIndex, partIndex) => byPosition.get(`${messageIndex}:${partIndex}`));
}

function passthroughImage(ref: PartRef, tokens: number): PreparedImage & PreparedImageDetails {
  return {
    param: ref.param, messageIndex: ref.messageIndex, partIndex: ref.partIndex, sha256: null, format: null, width: null, height: null,
    tokens, data: null, mediaType: null, source: 'passthrough_url', changes: [], originalWidth: null, originalHeight: null, bytes: null, cached: false,
  };
}

/** The data URL of a prepared image, made once and kept with it in the cache. */
const dataUrls = new WeakMap<EncodedImage, string>();
function dataUrlOf(encoded: EncodedImage): string {
  let url = dataUrls.get(encoded);
  if (url === undefined) {
    url = toDataUrl(encoded.mediaType, encoded.data);
    dataUrls.set(encoded, url);
  }
  return url;
}

function memo<T>(fn: () => T): () => T {
  let value: T | undefined;
  let done = false;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value as T;
  };
}

/** sha256 costs ~0.5 ms per MB: computed on first read, not for every image. */
function lazyHash(bytes: () => Buffer): () => string {
  return memo(() => createHash('sha256').update(bytes()).digest('hex'));
}

/**
 * `data` (the bytes sent on) and `sha256` (of the original bytes) as getters: an image
 * forwarded unchanged is decoded again, and hashed, only if someone asks.
 */
function withLazyBytes<T extends object>(image: T, data: () => Buffer, original: () => Buffer, hash = lazyHash(original)): T & { data: Buffer; sha256: string } {
  return Object.defineProperties(image, {
    data: { get: data, enumerable: true, configurable: true },
    sha256: { get: hash, enumerable: true, configurable: true },
  }) as T & { data: Buffer; sha256: string };
}

function parseUrl(url: string): URL {
  try {
    return parseFetchUrl(url);
  } catch (err) {
    if (err instanceof ImageFetchError) throw new ImageProblem('invalid_image_url', err.message);
    throw err;
  }
}

/** `contentType`: what a fetched URL's server declared; an HTML page is named as such. */
function notAnImage(bytes: Buffer, contentType?: string | null): ImageProblem {
  const head = bytes.toString('latin1', 0, Math.min(bytes.length, 256)).replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) {
    return new ImageProblem('unsupported_image_media_type', 'SVG images are not supported; send PNG, JPEG, WebP or GIF.');
  }
  if (head.startsWith('%pdf')) return new ImageProblem('unsupported_image_media_type', 'PDF files are not images; send PNG, JPEG, WebP or GIF.');
  if (contentType && !contentType.startsWith('image/') && contentType !== 'application/octet-stream') {
    return new ImageProblem('invalid_image', `The image URL answered with ${contentType.slice(0, 60)}, not an image.`);
  }
  return new ImageProblem('invalid_image', 'The data is not an image Iris recognises (PNG, JPEG, WebP, GIF, TIFF, BMP, AVIF or HEIC).');
}

function toApiError(err: unknown, ref: PartRef, url: unknown, log: Logger): unknown {
  if (err instanceof ImageProblem) return err.toApiError(ref.param);
  if (err instanceof ImageFetchError) {
    log.info({ param: ref.param, url: typeof url === 'string' ? redactUrl(url) : undefined, kind: err.kind, status: err.status }, 'image fetch failed');
    const code =
      err.kind === 'refused' || err.kind === 'invalid_url' ? 'invalid_image_url'
      : err.kind === 'too_large' ? 'image_too_large'
      : 'image_fetch_failed';
    return new ApiError(400, err.message, { type: 'invalid_request_error', code, param: ref.param });
  }
  return err;
}

function mb(n: number): string {
  return `${Math.round(n / 100_000) / 10} MB`;
}

function megapixels(n: number): string {
  return String(Math.round(n / 100_000) / 10);
}

/** The target's limits for a request with this many images (a lower edge past manyImages.over). */
function forImageCount(target: ImageTarget, count: number): ImageTarget {
  const many = target.limits.manyImages;
  if (!many || count <= many.over) return target;
  return { ...target, limits: { ...target.limits, maxEdge: Math.min(target.limits.maxEdge ?? Infinity, many.maxEdge) } };
}
