// Image fidelity and correctness, end to end: the real Iris in front of fake OpenAI, Anthropic
// and Gemini upstreams on loopback (and an image server on loopback for http URLs). Each test
// sends an image, decodes what the upstream received with sharp and checks that it is the
// picture the client sent — the right way up, in the right colours, one frame, within the
// provider's limits — and that usage.prompt_tokens_details.image_tokens follows the formulas
// of shared/reference/wire-formats.md for the size that was actually forwarded. (Written as a
// helper's audit; its failing tests are what the fixes made pass.)

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import sharp, { type Sharp } from 'sharp';
import { estimateImageTokens, resolveFormula } from '../../src/images/image-tokens.ts';
import { makeAnimatedGif, pngChunk } from '../../src/images/testing/test-images.ts';
import { anthropicMessage, FAKE_ANTHROPIC_KEY, startFakeAnthropic, type FakeAnthropicUpstream } from '../support/fake-anthropic-upstream.ts';
import { FAKE_GEMINI_KEY, startFakeGemini, type FakeGeminiUpstream } from '../support/fake-gemini-upstream.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

const TESTDATA = '/work/shared/testdata/images/';
/** Anthropic counts its 5 MB on the base64 text: 5 MiB of base64 is this many bytes. */
const ANTHROPIC_MAX_BYTES = (5 * 1024 * 1024 * 3) / 4;

// A completion whose usage leaves room for any image estimate (the fake's own count would cap it).
const ROOMY_COMPLETION = {
  id: 'chatcmpl-fidelity', object: 'chat.completion', created: 1700000000, model: 'gpt-4o',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok', refusal: null }, finish_reason: 'stop', logprobs: null }],
  usage: { prompt_tokens: 1_000_000, completion_tokens: 1, total_tokens: 1_000_001 },
};

let openai: FakeOpenAI;
let anthropic: FakeAnthropicUpstream;
let gemini: FakeGeminiUpstream;
let iris: RunningIris;
let imageServer: Server;
let imageOrigin: string;
const served = new Map<string, { type: string; body: Buffer }>();

before(async () => {
  imageServer = createServer((req, res) => {
    const item = served.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!item) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': item.type, 'content-length': item.body.length }).end(item.body);
  });
  await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
  imageOrigin = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`;

  openai = await startFakeOpenAI({ models: ['gpt-4o', 'gpt-4.1-mini', 'gpt-5.4'], defaultBehaviour: { kind: 'json', body: ROOMY_COMPLETION } });
  anthropic = await startFakeAnthropic();
  gemini = await startFakeGemini();
  const oai = (limits?: Record<string, unknown>) => ({ type: 'openai', base_url: openai.url, api_key: 'sk-upstream', ...(limits ? { image_limits: limits } : {}) });
  iris = await startIris({
    providers: {
      oai: oai(),
      oai_jpeg: oai({ formats: ['jpeg'], max_edge: 1000 }),
      oai_edge: oai({ max_edge: 1000 }),
      oai_px: oai({ max_pixels: 5000 }),
      claude: { type: 'anthropic', base_url: anthropic.baseUrl, api_key: FAKE_ANTHROPIC_KEY, fetch_urls: 'iris' },
      gem: { type: 'gemini', base_url: gemini.baseUrl, api_key: FAKE_GEMINI_KEY },
    },
    models: [
      { name: 'gpt-4o', provider: 'oai' },
      { name: 'gpt-4.1-mini', provider: 'oai' },
      { name: 'gpt-5.4', provider: 'oai' },
      { name: 'jpeg-only', provider: 'oai_jpeg', upstream: 'gpt-4o' },
      { name: 'edge-1000', provider: 'oai_edge', upstream: 'gpt-4o' },
      { name: 'px-5000', provider: 'oai_px', upstream: 'gpt-4o' },
      { name: 'claude', provider: 'claude', upstream: 'claude-sonnet-4-5' },
      { name: 'gemini', provider: 'gem', upstream: 'gemini-2.5-flash' },
    ],
    images: { fetch: { allow_hosts: [new URL(imageOrigin).host], timeout_ms: 3000 } },
  });
});

after(async () => {
  await iris?.close();
  await openai?.close();
  await anthropic?.close();
  await gemini?.close();
  imageServer?.closeAllConnections();
  await new Promise<void>((resolve) => (imageServer ? imageServer.close(() => resolve()) : resolve()));
});

// ---- talking to Iris, reading what the upstream got -----------------------------------------

type Upstream = 'openai' | 'anthropic' | 'gemini';
const UPSTREAM_OF: Record<string, Upstream> = { claude: 'anthropic', gemini: 'gemini' };

interface Forwarded {
  mediaType: string;
  bytes: Buffer;
  /** The URL as the OpenAI upstream got it (OpenAI only). */
  url?: string;
}

interface Answer {
  status: number;
  body: any;
  imageTokens: number | undefined;
  /** The image the upstream received; undefined when no request reached it. */
  forwarded: Forwarded | undefined;
}

function requestsOf(upstream: Upstream): Array<{ path: string; body: any }> {
  if (upstream === 'openai') return openai.requests.filter((r) => r.path.startsWith('/v1/chat/completions')) as Array<{ path: string; body: any }>;
  return (upstream === 'anthropic' ? anthropic : gemini).requests;
}

function imageIn(upstream: Upstream, body: any): Forwarded | undefined {
  if (upstream === 'openai') {
    const part = body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).find((p: any) => p.type === 'image_url');
    const match = /^data:([^;,]+)[^,]*;base64,(.*)$/s.exec(part.image_url.url);
    assert.ok(match, `the upstream got a data URL, not ${String(part.image_url.url).slice(0, 40)}`);
    return { mediaType: match[1], bytes: Buffer.from(match[2], 'base64'), url: part.image_url.url };
  }
  if (upstream === 'anthropic') {
    const block = body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).find((b: any) => b.type === 'image');
    return { mediaType: block.source.media_type, bytes: Buffer.from(block.source.data, 'base64') };
  }
  const part = body.contents.flatMap((c: any) => c.parts).find((p: any) => p.inlineData || p.inline_data);
  const inline = part.inlineData ?? part.inline_data;
  return { mediaType: inline.mimeType ?? inline.mime_type, bytes: Buffer.from(inline.data, 'base64') };
}

async function ask(model: string, url: string, detail?: 'low' | 'high' | 'auto'): Promise<Answer> {
  const upstream = UPSTREAM_OF[model] ?? 'openai';
  const seen = requestsOf(upstream).length;
  if (upstream === 'anthropic') anthropic.enqueue({ kind: 'json', body: anthropicMessage({ text: 'ok', usage: { input_tokens: 1_000_000, output_tokens: 1 } }) });
  const res = await fetch(`${iris.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${iris.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: detail ? { url, detail } : { url } }] }],
    }),
  });
  const body: any = await res.json();
  const requests = requestsOf(upstream);
  if (upstream === 'anthropic' && requests.length === seen) anthropic.reset(); // drop the unused reply
  return {
    status: res.status,
    body,
    imageTokens: body?.usage?.prompt_tokens_details?.image_tokens,
    forwarded: requests.length > seen ? imageIn(upstream, requests.at(-1)!.body) : undefined,
  };
}

async function forwardedOk(model: string, url: string, detail?: 'low' | 'high' | 'auto'): Promise<Answer & { forwarded: Forwarded }> {
  const answer = await ask(model, url, detail);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.ok(answer.forwarded, 'the upstream got the image');
  return answer as Answer & { forwarded: Forwarded };
}

const dataUrl = (bytes: Buffer, mediaType: string) => `data:${mediaType};base64,${bytes.toString('base64')}`;

/** The stored pixels, as a decoder that ignores EXIF orientation sees them (sharp does not auto-orient). */
async function storedPixels(bytes: Buffer) {
  const { data, info } = await sharp(bytes).toColourspace('srgb').removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, at: (x: number, y: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)] };
}

/** Every pixel as sharp decodes it (colour-managed to sRGB), RGBA. */
async function rgba(bytes: Buffer) {
  const { data, info } = await sharp(bytes).ensureAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, at: (x: number, y: number) => [...data.subarray((y * info.width + x) * 4, (y * info.width + x) * 4 + 4)] };
}

function near(actual: number[], expected: number[], tolerance: number, what: string): void {
  assert.ok(actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance), `${what}: got [${actual}], expected about [${expected}] (±${tolerance})`);
}

const solid = (width: number, height: number, colour = '#3366cc') =>
  sharp({ create: { width, height, channels: 3, background: colour } }).png().toBuffer();

// ---- image builders ------------------------------------------------------------------------

function pngChunks(png: Buffer): Array<{ type: string; data: Buffer }> {
  const out: Array<{ type: string; data: Buffer }> = [];
  for (let i = 8; i < png.length; ) {
    const length = png.readUInt32BE(i);
    out.push({ type: png.toString('latin1', i + 4, i + 8), data: png.subarray(i + 8, i + 8 + length) });
    i += 12 + length;
  }
  return out;
}

/** An animated PNG (acTL/fcTL/fdAT) of solid frames; frame 0 is the IDAT image. */
async function makeApng(width: number, height: number, colours: string[]): Promise<Buffer> {
  const frames = await Promise.all(colours.map((c) => solid(width, height, c)));
  const parts = [Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', pngChunks(frames[0]).find((c) => c.type === 'IHDR')!.data)];
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(colours.length, 0);
  parts.push(pngChunk('acTL', actl));
  let sequence = 0;
  frames.forEach((frame, index) => {
    const fctl = Buffer.alloc(26);
    fctl.writeUInt32BE(sequence++, 0);
    fctl.writeUInt32BE(width, 4);
    fctl.writeUInt32BE(height, 8);
    fctl.writeUInt16BE(1, 20); // delay 1/2 s
    fctl.writeUInt16BE(2, 22);
    parts.push(pngChunk('fcTL', fctl));
    for (const idat of pngChunks(frame).filter((c) => c.type === 'IDAT')) {
      if (index === 0) parts.push(pngChunk('IDAT', idat.data));
      else {
        const seq = Buffer.alloc(4);
        seq.writeUInt32BE(sequence++);
        parts.push(pngChunk('fdAT', Buffer.concat([seq, idat.data])));
      }
    }
  });
  parts.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** A PNG padded with a private ancillary chunk (decoders skip it) to exactly `size` bytes. */
async function pngOfSize(width: number, height: number, size: number): Promise<Buffer> {
  const png = await solid(width, height);
  const iend = png.length - 12;
  const padding = size - png.length - 12;
  assert.ok(padding >= 0);
  return Buffer.concat([png.subarray(0, iend), pngChunk('prVt', Buffer.alloc(padding, 0x5a)), png.subarray(iend)]);
}

/**
 * A single-frame GIF89a with a global palette and no transparency (sharp always writes a
 * transparent index). LZW codes are written literally, 9 bits each, with a clear code often
 * enough that the code size never grows.
 */
function makePlainGif(width: number, height: number, indices: Uint8Array, palette: Array<[number, number, number]>): Buffer {
  const gct = Buffer.alloc(768);
  palette.forEach(([r, g, b], i) => gct.set([r, g, b], i * 3));
  const head = Buffer.alloc(13);
  head.write('GIF89a', 0, 'latin1');
  head.writeUInt16LE(width, 6);
  head.writeUInt16LE(height, 8);
  head[10] = 0xf7; // global colour table of 256 entries
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  const codes: number[] = [256];
  indices.forEach((index, i) => {
    if (i > 0 && i % 200 === 0) codes.push(256);
    codes.push(index);
  });
  codes.push(257);
  const packed: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const code of codes) {
    acc |= code << bits;
    bits += 9;
    while (bits >= 8) {
      packed.push(acc & 0xff);
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) packed.push(acc & 0xff);
  const blocks: number[] = [8];
  for (let i = 0; i < packed.length; i += 255) {
    const piece = packed.slice(i, i + 255);
    blocks.push(piece.length, ...piece);
  }
  blocks.push(0);
  return Buffer.concat([head, gct, descriptor, Buffer.from(blocks), Buffer.from([0x3b])]);
}

/**
 * The upright picture used for orientation tests: left half red, right half blue, a green
 * square in the top-left corner (so every flip and turn shows).
 */
async function uprightPicture(width: number, height: number): Promise<Buffer> {
  const square = Math.round(height / 4);
  return sharp({ create: { width, height, channels: 3, background: '#ff0000' } })
    .composite([
      { input: { create: { width: width / 2, height, channels: 3, background: '#0000ff' } }, left: width / 2, top: 0 },
      { input: { create: { width: square, height: square, channels: 3, background: '#00ff00' } }, left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}

/** The inverse of each EXIF orientation, as separate sharp passes (sharp mirrors before it rotates). */
const STORE_FOR: Record<number, Array<(s: Sharp) => Sharp>> = {
  1: [],
  2: [(s) => s.flop()],
  3: [(s) => s.rotate(180)],
  4: [(s) => s.flip()],
  5: [(s) => s.rotate(90), (s) => s.flop()], // transpose
  6: [(s) => s.rotate(-90)],
  7: [(s) => s.rotate(-90), (s) => s.flop()], // transverse
  8: [(s) => s.rotate(90)],
};

/** An image (JPEG unless said) whose stored pixels are turned so that EXIF orientation `o` shows the upright picture. */
async function rotatedJpeg(upright: Buffer, o: number, format: 'jpeg' | 'png' | 'webp' = 'jpeg'): Promise<Buffer> {
  let bytes = upright;
  for (const step of STORE_FOR[o]) bytes = await step(sharp(bytes)).png().toBuffer();
  const encoder = sharp(bytes);
  const jpeg = await (format === 'jpeg' ? encoder.jpeg({ quality: 95 }) : format === 'png' ? encoder.png() : encoder.webp({ quality: 95 })).withMetadata({ orientation: o }).toBuffer();
  // The builder itself is checked: shown upright (EXIF applied), it is the upright picture.
  const shown = await storedPixels(await sharp(jpeg).autoOrient().png().toBuffer());
  const want = await storedPixels(upright);
  assert.deepEqual([shown.width, shown.height], [want.width, want.height], `orientation ${o} builder`);
  near(shown.at(2, 2), want.at(2, 2), 40, `orientation ${o} builder, corner`);
  near(shown.at(want.width - 3, want.height - 3), want.at(want.width - 3, want.height - 3), 40, `orientation ${o} builder, far corner`);
  return jpeg;
}

/** Checks that `bytes`, decoded without applying EXIF, show the upright picture at width × height. */
async function assertUpright(bytes: Buffer, width: number, height: number, what: string): Promise<void> {
  const px = await storedPixels(bytes);
  assert.deepEqual([px.width, px.height], [width, height], `${what}: stored size (EXIF ignored)`);
  near(px.at(3, 3), [0, 255, 0], 60, `${what}: top-left is the green square`);
  near(px.at(Math.round(width * 0.75), Math.round(height * 0.6)), [0, 0, 255], 60, `${what}: right half is blue`);
  near(px.at(Math.round(width * 0.25), Math.round(height * 0.75)), [255, 0, 0], 60, `${what}: left half is red`);
}

// ---- independent token formulas (wire-formats.md §2d, §2e, §2f) ------------------------------

/** OpenAI tiles: fit 2048², short side to 768 (no upscale), 512 px tiles. */
function tileTokens(w: number, h: number, base: number, perTile: number): number {
  if (Math.max(w, h) > 2048) {
    const s = 2048 / Math.max(w, h);
    w = Math.max(1, Math.floor(w * s));
    h = Math.max(1, Math.floor(h * s));
  }
  if (Math.min(w, h) > 768) {
    const s = 768 / Math.min(w, h);
    [w, h] = w <= h ? [768, Math.floor(h * s)] : [Math.floor(w * s), 768];
  }
  return base + Math.ceil(w / 512) * Math.ceil(h / 512) * perTile;
}

/** OpenAI patches, old/mid revision (the 1536 budget), then × multiplier. */
function patchTokens(w: number, h: number, multiplier: number, cap = 1536): number {
  const up = (x: number) => Math.ceil(x - 1e-9);
  let n = up(w / 32) * up(h / 32);
  if (n > cap) {
    let r = Math.sqrt((32 * 32 * cap) / (w * h));
    r *= Math.min(Math.floor((w * r) / 32) / ((w * r) / 32), Math.floor((h * r) / 32) / ((h * r) / 32));
    n = Math.min(cap, up((w * r) / 32) * up((h * r) / 32));
  }
  return up(n * multiplier);
}

/** Gemini crop units: 258 when both sides ≤ 384, else unit = floor(min/1.5) tiles of 258. */
function geminiTokens(w: number, h: number): number {
  if (w <= 384 && h <= 384) return 258;
  const unit = Math.floor(Math.min(w, h) / 1.5);
  return Math.ceil(w / unit) * Math.ceil(h / unit) * 258;
}

// =============================================================================================

describe('EXIF orientation', () => {
  test('a rotated JPEG (EXIF orientation 2–8) that Iris re-encodes reaches the upstream upright, at its upright size', async () => {
    const upright = await uprightPicture(1200, 600);
    for (let o = 2; o <= 8; o++) {
      const jpeg = await rotatedJpeg(upright, o);
      const { forwarded, imageTokens } = await forwardedOk('edge-1000', dataUrl(jpeg, 'image/jpeg'));
      const meta = await sharp(forwarded.bytes).metadata();
      assert.ok((meta.orientation ?? 1) === 1, `orientation ${o}: no orientation tag left to apply twice`);
      await assertUpright(forwarded.bytes, 1000, 500, `orientation ${o}`);
      assert.equal(imageTokens, tileTokens(1000, 500, 85, 170), `orientation ${o}: tokens of the upright 1000×500`);
    }
  });

  // Iris forwards an image that fits "exactly as sent", EXIF tag and all. OpenAI-compatible
  // upstreams it serves ignore the tag (Ollama: ollama/ollama#18418; llama.cpp's stb_image:
  // ggml-org/llama.cpp#24196), so a phone photo reaches the model sideways or mirrored — while
  // the same photo, once it needs a downscale, goes upright (test above).
  test('a rotated JPEG (EXIF orientation 2–8) that fits the upstream still reaches it upright, for decoders that ignore EXIF', async () => {
    const upright = await uprightPicture(240, 120);
    const sideways: string[] = [];
    for (let o = 2; o <= 8; o++) {
      const jpeg = await rotatedJpeg(upright, o);
      const { forwarded } = await forwardedOk('gpt-4o', dataUrl(jpeg, 'image/jpeg'));
      try {
        await assertUpright(forwarded.bytes, 240, 120, `orientation ${o}`);
      } catch (err) {
        sideways.push((err as Error).message.split('\n')[0]);
      }
    }
    assert.deepEqual(sideways, [], 'every orientation reaches the upstream upright');
  });

  // PNG keeps EXIF in an eXIf chunk, WebP in an EXIF chunk after its image data; phones and
  // editors that export them keep the tag, and viewers (and sharp) apply it.
  test('a rotated PNG or WebP (EXIF orientation 2–8) that fits the upstream reaches it upright too', async () => {
    const upright = await uprightPicture(240, 120);
    const sideways: string[] = [];
    for (const format of ['png', 'webp'] as const) {
      for (let o = 2; o <= 8; o++) {
        const image = await rotatedJpeg(upright, o, format);
        const { forwarded } = await forwardedOk('gpt-4o', dataUrl(image, `image/${format}`));
        try {
          assert.equal((await sharp(forwarded.bytes).metadata()).orientation ?? 1, 1, `${format} ${o}: no tag left to apply twice`);
          await assertUpright(forwarded.bytes, 240, 120, `${format} orientation ${o}`);
        } catch (err) {
          sideways.push((err as Error).message.split('\n')[0]);
        }
      }
    }
    assert.deepEqual(sideways, [], 'every orientation reaches the upstream upright');
  });
});

describe('colour', () => {
  test('a CMYK JPEG converted for the upstream keeps its colours (sRGB, not inverted)', async () => {
    const cmyk = await sharp({ create: { width: 1200, height: 200, channels: 3, background: '#ff0000' } })
      .composite([{ input: { create: { width: 600, height: 200, channels: 3, background: '#ffff00' } }, left: 600, top: 0 }])
      .toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    const source = await rgba(cmyk);
    const { forwarded } = await forwardedOk('edge-1000', dataUrl(cmyk, 'image/jpeg'));
    const meta = await sharp(forwarded.bytes).metadata();
    assert.equal(meta.space, 'srgb', 'converted to sRGB for decoders without colour management');
    const out = await rgba(forwarded.bytes);
    near(out.at(100, 80), source.at(120, 96), 8, 'red half');
    near(out.at(900, 80), source.at(1080, 96), 8, 'yellow half');
    assert.ok(out.at(100, 80)[0] > 200 && out.at(100, 80)[1] < 60, 'red stays red');
  });

  test('a Display P3 photo re-encoded for the upstream is converted to sRGB, not stripped of its profile as it is', async () => {
    const p3 = await sharp({ create: { width: 1200, height: 100, channels: 3, background: '#ff2000' } }).withIccProfile('p3').jpeg({ quality: 95 }).toBuffer();
    const meta = await sharp(p3).metadata();
    assert.ok(meta.icc, 'the source carries a P3 profile');
    const { forwarded } = await forwardedOk('edge-1000', dataUrl(p3, 'image/jpeg'));
    // What a viewer shows: colour-managed decodes of both must match.
    near((await rgba(forwarded.bytes)).at(50, 50), (await rgba(p3)).at(50, 50), 6, 'the colour as shown');
    const out = await sharp(forwarded.bytes).metadata();
    // Without a profile the stored values must already be sRGB (decoders that ignore ICC).
    if (!out.icc) near((await storedPixels(forwarded.bytes)).at(50, 50), [255, 32, 0], 8, 'stored as sRGB');
  });

  test('transparent PNGs (RGBA, grey+alpha, palette+tRNS) sent as JPEG are flattened on white, not black', async () => {
    const clear = { r: 0, g: 0, b: 0, alpha: 0 };
    const images: Array<[string, Buffer]> = [
      ['RGBA', await sharp({ create: { width: 1200, height: 100, channels: 4, background: clear } }).png().toBuffer()],
      ['grey+alpha', await sharp({ create: { width: 1200, height: 100, channels: 4, background: clear } }).toColourspace('b-w').png().toBuffer()],
      ['palette+tRNS', await sharp({ create: { width: 1200, height: 100, channels: 4, background: clear } }).png({ palette: true }).toBuffer()],
    ];
    for (const [name, png] of images) {
      const { forwarded } = await forwardedOk('jpeg-only', dataUrl(png, 'image/png'));
      assert.equal(forwarded.mediaType, 'image/jpeg', name);
      near((await rgba(forwarded.bytes)).at(500, 20), [255, 255, 255, 255], 3, `${name}: transparent becomes white`);
    }
  });

  test('a 16-bit PNG downscaled for the upstream keeps its colour', async () => {
    const png16 = await sharp({ create: { width: 1200, height: 100, channels: 3, background: '#336699' } }).toColourspace('rgb16').png().toBuffer();
    assert.equal((await sharp(png16).metadata()).depth, 'ushort');
    const { forwarded } = await forwardedOk('edge-1000', dataUrl(png16, 'image/png'));
    const meta = await sharp(forwarded.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [1000, 83]);
    near((await rgba(forwarded.bytes)).at(500, 40), [0x33, 0x66, 0x99, 255], 2, 'colour kept');
  });
});

describe('formats', () => {
  test('progressive JPEG, interlaced PNG and lossless WebP that fit go on byte for byte', async () => {
    const base = () => sharp({ create: { width: 300, height: 200, channels: 3, background: '#208040' } });
    const images: Array<[string, string]> = [
      ['image/jpeg', dataUrl(await base().jpeg({ progressive: true }).toBuffer(), 'image/jpeg')],
      ['image/png', dataUrl(await base().png({ progressive: true }).toBuffer(), 'image/png')],
      ['image/webp', dataUrl(await base().webp({ lossless: true }).toBuffer(), 'image/webp')],
    ];
    for (const [type, url] of images) {
      const { forwarded } = await forwardedOk('gpt-4o', url);
      assert.equal(forwarded.url, url, `${type} unchanged`);
    }
  });

  test('animated WebP, APNG and GIF reach OpenAI (non-animated only) as their first frame, one frame', async () => {
    const colours = ['#ff0000', '#00ff00', '#0000ff'];
    const frames = await Promise.all(colours.map((c) => sharp({ create: { width: 60, height: 40, channels: 4, background: c } }).png().toBuffer()));
    const images: Array<[string, Buffer, string]> = [
      ['animated WebP', await sharp(frames, { join: { animated: true } }).webp({ quality: 90 }).toBuffer(), 'image/webp'],
      ['APNG', await makeApng(60, 40, colours), 'image/png'],
      ['animated GIF', await makeAnimatedGif(60, 40, 3), 'image/gif'],
    ];
    for (const [name, bytes, type] of images) {
      const { forwarded } = await forwardedOk('gpt-4o', dataUrl(bytes, type));
      const meta = await sharp(forwarded.bytes, { animated: true }).metadata();
      assert.equal(meta.pages ?? 1, 1, `${name}: one frame`);
      assert.ok(!forwarded.bytes.includes(Buffer.from('acTL')), `${name}: no animation chunk`);
      assert.deepEqual([meta.width, meta.height], [60, 40], name);
      near((await rgba(forwarded.bytes)).at(30, 20).slice(0, 3), [255, 0, 0], 12, `${name}: the first (red) frame`);
    }
  });

  test('SVG is refused, never rendered: in a data URL that claims PNG, and from an http URL', async () => {
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10" fill="red"/></svg>');
    served.set('/chart.png', { type: 'image/png', body: svg });
    served.set('/logo.svg', { type: 'image/svg+xml', body: svg });
    for (const url of [dataUrl(svg, 'image/png'), `${imageOrigin}/chart.png`, `${imageOrigin}/logo.svg`]) {
      const answer = await ask('gpt-4o', url);
      assert.equal(answer.status, 400, url.slice(0, 40));
      assert.equal(answer.body.error.code, 'unsupported_image_media_type', url.slice(0, 40));
      assert.equal(answer.body.error.param, 'messages[0].content[1].image_url.url');
      assert.equal(answer.forwarded, undefined, 'nothing reached the upstream');
    }
  });

  test('TIFF scans from the test data reach Gemini in a format it takes, at full size, the text intact', async () => {
    for (const name of ['phototest.tif', 'HelloGoogle.tif']) {
      const tiff = readFileSync(TESTDATA + name);
      const { forwarded } = await forwardedOk('gemini', dataUrl(tiff, 'image/tiff'));
      assert.ok(['image/png', 'image/jpeg', 'image/webp'].includes(forwarded.mediaType), name);
      const [a, b] = [await storedPixels(tiff), await storedPixels(forwarded.bytes)];
      assert.deepEqual([b.width, b.height], [a.width, a.height], `${name}: full size`);
    }
  });

  // A bilevel scan is two colours: PNG holds it exactly and small; Iris's "opaque → JPEG" rule
  // (plan-image.ts pickOutput) makes it lossy and 4–5 times bigger (phototest.tif: 13 kB as
  // PNG, 62 kB as JPEG), ringing around every glyph of the text the model is asked to read.
  test('a bilevel TIFF scan is converted losslessly (PNG, pixel for pixel), not to a bigger lossy JPEG', async () => {
    for (const name of ['phototest.tif', 'HelloGoogle.tif']) {
      const tiff = readFileSync(TESTDATA + name);
      const { forwarded } = await forwardedOk('gpt-4o', dataUrl(tiff, 'image/tiff'));
      const png = await sharp(tiff).png().toBuffer();
      assert.ok(forwarded.bytes.length <= png.length * 1.2, `${name}: ${forwarded.mediaType} of ${forwarded.bytes.length} bytes, where PNG takes ${png.length}`);
      assert.equal(forwarded.mediaType, 'image/png', name);
      const [a, b] = [await rgba(tiff), await rgba(forwarded.bytes)];
      for (let y = 0; y < a.height; y += 7) for (let x = 0; x < a.width; x += 7) assert.deepEqual(b.at(x, y), a.at(x, y), `${name} at ${x},${y}`);
    }
  });

  // Same rule: a GIF (≤ 256 flat colours: charts, diagrams, text) going to Gemini, which takes
  // no GIF, becomes JPEG unless it has a transparent index; an animated GIF's first frame
  // becomes PNG "for flat colours" — a still GIF deserves the same.
  test('a still GIF without transparency is converted for Gemini losslessly (PNG), like an animated GIF\'s first frame', async () => {
    const width = 120;
    const height = 40;
    const indices = new Uint8Array(width * height).map((_, i) => ((i % width) >> 3) % 2 === ((Math.floor(i / width) >> 3) % 2) ? 1 : 0);
    const gif = makePlainGif(width, height, indices, [[255, 255, 255], [200, 0, 0]]);
    const decoded = await rgba(gif);
    assert.deepEqual([decoded.width, decoded.height], [width, height], 'the hand-made GIF decodes');
    near(decoded.at(0, 0), [200, 0, 0, 255], 0, 'the hand-made GIF decodes to its palette');
    const { forwarded } = await forwardedOk('gemini', dataUrl(gif, 'image/gif'));
    const out = await rgba(forwarded.bytes);
    let differing = 0;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (out.at(x, y).some((v, i) => v !== decoded.at(x, y)[i])) differing++;
    assert.equal(forwarded.mediaType, 'image/png', `converted to ${forwarded.mediaType}, ${differing} of ${width * height} pixels changed`);
    assert.equal(differing, 0);
  });
});

describe('sizes and limits', () => {
  test('max_edge: exactly at the edge goes as sent; one past is downscaled to the edge, aspect kept', async () => {
    const at = dataUrl(await solid(1000, 400), 'image/png');
    assert.equal((await forwardedOk('edge-1000', at)).forwarded.url, at);
    for (const [w, h] of [[1001, 400], [3000, 1000], [1000, 3001]]) {
      const { forwarded } = await forwardedOk('edge-1000', dataUrl(await solid(w, h), 'image/png'));
      const meta = await sharp(forwarded.bytes).metadata();
      assert.equal(Math.max(meta.width!, meta.height!), 1000, `${w}×${h}`);
      assert.ok(Math.abs(meta.width! / meta.height! - w / h) < (w / h) * 0.01, `${w}×${h}: aspect kept (${meta.width}×${meta.height})`);
    }
  });

  test('max_pixels: exactly at the limit goes as sent; one past is brought within it', async () => {
    const at = dataUrl(await solid(100, 50), 'image/png');
    assert.equal((await forwardedOk('px-5000', at)).forwarded.url, at);
    const { forwarded } = await forwardedOk('px-5000', dataUrl(await solid(101, 50), 'image/png'));
    const meta = await sharp(forwarded.bytes).metadata();
    assert.ok(meta.width! * meta.height! <= 5000, `${meta.width}×${meta.height}`);
  });

  // plan-image.ts scales both sides by sqrt(max_pixels / pixels) and then takes at least 1 px:
  // a 1 px wide strip keeps its width and 70 % of its height, 7071 px for a 5000 px limit.
  test('max_pixels: a one-pixel-wide strip is brought within the pixel limit too', async () => {
    for (const [w, h] of [[1, 10000], [10000, 1]]) {
      const { forwarded } = await forwardedOk('px-5000', dataUrl(await solid(w, h), 'image/png'));
      const meta = await sharp(forwarded.bytes).metadata();
      assert.ok(meta.width! * meta.height! <= 5000, `${w}×${h} reached the upstream as ${meta.width}×${meta.height} = ${meta.width! * meta.height!} pixels, over the 5000 limit`);
    }
  });

  test('Anthropic: an 8000 px edge goes as sent, 8001 px is downscaled to 8000; slivers keep a pixel', async () => {
    const at = await solid(8000, 20);
    const atAnswer = await forwardedOk('claude', dataUrl(at, 'image/png'));
    assert.ok(atAnswer.forwarded.bytes.equals(at), '8000 px: the very bytes');
    for (const [w, h, ew, eh] of [[8001, 40, 8000, 39], [40, 8001, 39, 8000], [10000, 1, 8000, 1], [1, 10000, 1, 8000]]) {
      const { forwarded } = await forwardedOk('claude', dataUrl(await solid(w, h), 'image/png'));
      const meta = await sharp(forwarded.bytes).metadata();
      assert.deepEqual([meta.width, meta.height], [ew, eh], `${w}×${h}`);
    }
  });

  test('Anthropic: an image whose base64 is exactly 5 MiB goes as sent; one byte more is re-encoded under it, at full size', async () => {
    const at = await pngOfSize(400, 300, ANTHROPIC_MAX_BYTES);
    const atAnswer = await forwardedOk('claude', dataUrl(at, 'image/png'));
    assert.ok(atAnswer.forwarded.bytes.equals(at), 'exactly at the limit: the very bytes');
    assert.equal(atAnswer.forwarded.bytes.toString('base64').length, 5 * 1024 * 1024);
    const over = await pngOfSize(400, 300, ANTHROPIC_MAX_BYTES + 1);
    const { forwarded } = await forwardedOk('claude', dataUrl(over, 'image/png'));
    assert.ok(forwarded.bytes.toString('base64').length <= 5 * 1024 * 1024);
    const meta = await sharp(forwarded.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [400, 300], 'full size');
    near((await rgba(forwarded.bytes)).at(200, 150).slice(0, 3), [0x33, 0x66, 0xcc], 6, 'colour kept');
  });

  test('1×1 goes as sent and costs one tile', async () => {
    const url = dataUrl(await solid(1, 1), 'image/png');
    const answer = await forwardedOk('gpt-4o', url);
    assert.equal(answer.forwarded.url, url);
    assert.equal(answer.imageTokens, 85 + 170);
  });

  // wire-formats.md §2d: gpt-5.4 "low = 2048 px and a 6,144-patch budget, so low can cost more
  // than high", and Iris's own formula (image-tokens.ts) says so. plan-image.ts still cuts every
  // detail:low image to 512 px "because OpenAI sees low at 512 px anyway" — true of tile models
  // only: the model sees a fifth of the resolution it would see from OpenAI directly.
  test('detail low keeps the resolution gpt-5.4 sees at low detail (2048 px), and counts its patches', async () => {
    const { forwarded, imageTokens } = await forwardedOk('gpt-5.4', dataUrl(await solid(1600, 1200), 'image/png'), 'low');
    const meta = await sharp(forwarded.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [1600, 1200], 'not cut to 512 px');
    assert.equal(imageTokens, Math.ceil(50 * 38 * 1.2), 'patches of 1600×1200 under the low budget');
  });

  test('detail low on a tile model (gpt-4o) is sent at 512 px and costs the base tokens', async () => {
    const { forwarded, imageTokens } = await forwardedOk('gpt-4o', dataUrl(await solid(1600, 1200), 'image/png'), 'low');
    const meta = await sharp(forwarded.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [512, 384]);
    assert.equal(imageTokens, 85);
  });
});

describe('image token estimates', () => {
  const SIZES: Array<[number, number]> = [[1, 1], [128, 64], [512, 512], [513, 512], [1024, 1024], [1920, 1080], [2048, 4096], [800, 2100], [4000, 3], [3, 4000], [1800, 2400]];

  test('gpt-4o (tiles) and gpt-4.1-mini (patches): image_tokens follow the formulas for the size forwarded', async () => {
    for (const [w, h] of SIZES) {
      const url = dataUrl(await solid(w, h), 'image/png');
      for (const [model, expected] of [['gpt-4o', tileTokens(w, h, 85, 170)], ['gpt-4.1-mini', patchTokens(w, h, 1.62)]] as const) {
        const { forwarded, imageTokens } = await forwardedOk(model, url, 'high');
        assert.equal(forwarded.url, url, `${model} ${w}×${h}: sent as is`);
        assert.equal(imageTokens, expected, `${model} ${w}×${h}`);
      }
    }
    // The guide's own examples.
    assert.equal(tileTokens(1024, 1024, 85, 170), 765);
    assert.equal(tileTokens(2048, 4096, 85, 170), 1105);
    assert.equal(patchTokens(1800, 2400, 1), 1452);
    assert.equal(patchTokens(2048, 4096, 1.62), 2362);
  });

  test('image_tokens count the image Iris forwards, after its own downscale', async () => {
    const { forwarded, imageTokens } = await forwardedOk('edge-1000', dataUrl(await solid(3000, 1500), 'image/png'));
    const meta = await sharp(forwarded.bytes).metadata();
    assert.deepEqual([meta.width, meta.height], [1000, 500]);
    assert.equal(imageTokens, tileTokens(1000, 500, 85, 170));
    assert.notEqual(imageTokens, tileTokens(3000, 1500, 85, 170));
  });

  test('Anthropic: image_tokens = w·h/750 after Anthropic\'s own resize (long edge 1568)', async () => {
    // Sizes where every reading of Anthropic's resize rule agrees (no 1.15–1.23 MP ambiguity).
    const cases: Array<[number, number, number]> = [
      [200, 200, 54], [1000, 1000, 1334], [1092, 1092, 1590], [640, 480, 410], [1500, 700, 1400],
      [4000, 1000, Math.ceil((1568 * 392) / 750)], [8000, 500, Math.ceil((1568 * 98) / 750)],
    ];
    for (const [w, h, expected] of cases) {
      const { imageTokens } = await forwardedOk('claude', dataUrl(await solid(w, h), 'image/png'));
      assert.equal(imageTokens, expected, `${w}×${h}`);
    }
  });

  test('Gemini 2.x: 258 per crop unit for sizes where the unit needs no bound (short side 384–1152 px)', () => {
    const formula = resolveFormula('gemini-2.5-flash');
    for (const w of [100, 384, 385, 540, 768, 960, 1024, 1152, 2000, 4000]) {
      for (const h of [384, 385, 540, 768, 960, 1024, 1152]) {
        if (Math.min(w, h) < 384 && Math.max(w, h) > 384) continue;
        assert.equal(estimateImageTokens(formula, w, h), geminiTokens(w, h), `${w}×${h}`);
      }
    }
    assert.equal(geminiTokens(960, 540), 1548);
    assert.equal(geminiTokens(1024, 1024), 1032);
  });
});

describe('privacy', () => {
  test('an image Iris re-encodes carries no EXIF, XMP or IPTC (GPS, camera, author)', async () => {
    const jpeg = await sharp(await solid(1200, 600)).jpeg()
      .withExif({
        IFD0: { Make: 'Acme', Model: 'Phone 9', Artist: 'Jane Doe' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2400/100', GPSLongitudeRef: 'E', GPSLongitude: '2/1 17/1 4000/100' },
      })
      .toBuffer();
    assert.ok((await sharp(jpeg).metadata()).exif, 'the source has EXIF');
    const { forwarded } = await forwardedOk('edge-1000', dataUrl(jpeg, 'image/jpeg'));
    const meta = await sharp(forwarded.bytes).metadata();
    assert.equal(meta.exif, undefined);
    assert.equal(meta.xmp, undefined);
    assert.equal(meta.iptc, undefined);
    assert.ok(!forwarded.bytes.includes(Buffer.from('Jane Doe')) && !forwarded.bytes.includes(Buffer.from('Phone 9')));
  });
});
