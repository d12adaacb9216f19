import { pino } from 'pino';
import sharp from 'sharp';
import { imagesConfigSchema } from '../src/config/images-config.ts';
import { createImagePipeline } from '../src/images/create-image-pipeline.ts';
import type { ImageTarget } from '../src/images/image-pipeline.ts';
import type { ChatCompletionRequest } from '../src/openai/types.ts';
import type { CallContext } from '../src/providers/provider.ts';
import { makeImage } from '../src/images/testing/test-images.ts';

// What the image pipeline adds to a request carrying one data-URL JPEG: wall and CPU time
// per prepare (beyond JSON.parse of the body), for 100 KB, 1 MB and 5 MB images; then peak
// RSS with 64 requests of 5 MB images in flight. Run: node bench/images-bench.ts

const log = pino({ level: 'silent' });
const ctx: CallContext = { requestId: 'bench', signal: new AbortController().signal, log };
const fits: ImageTarget = {
  limits: { acceptsUrls: true, formats: ['jpeg', 'png', 'webp', 'gif'], maxBytes: 20_000_000, multiFrame: false },
  fetchUrls: 'iris',
  upstreamModel: 'gpt-4o',
};
const halve = (jpeg: Buffer, maxBytes = 20_000_000): ImageTarget => {
  const w = jpeg.readUInt16BE(jpeg.indexOf(Buffer.from([0xff, 0xc0])) + 7);
  return { ...fits, limits: { ...fits.limits, maxBytes, maxEdge: Math.floor(w / 2) } };
};
const mode = process.argv[2] ?? 'time';

/** A JPEG of roughly `bytes` bytes (noise does not compress, so size tracks pixels). */
async function jpegOfSize(bytes: number): Promise<Buffer> {
  let side = Math.round(Math.sqrt(bytes / 2.2));
  for (let i = 0; i < 6; i++) {
    const img = await makeImage('jpeg', Math.round(side * 1.5), side, { noise: true, quality: 80 });
    if (Math.abs(img.length - bytes) / bytes < 0.08) return img;
    side = Math.round(side * Math.sqrt(bytes / img.length));
  }
  return makeImage('jpeg', Math.round(side * 1.5), side, { noise: true, quality: 80 });
}

function body(jpeg: Buffer): string {
  const request: ChatCompletionRequest = {
    model: 'gpt-4o',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}` } }] }],
  };
  return JSON.stringify(request);
}

async function time(iterations: number, fn: () => Promise<unknown> | unknown): Promise<{ wallMs: number; cpuMs: number }> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn(); // warm up
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await fn();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs: wall / iterations, cpuMs: (used.user + used.system) / 1000 / iterations };
}

const fmt = (n: number) => n.toFixed(3).padStart(8);

const config = imagesConfigSchema.parse(process.env.WAIT_MS ? { inflight_wait_ms: Number(process.env.WAIT_MS) } : {});
const pipeline = createImagePipeline(config, log);
const sizes: Array<[string, number]> = [['100 KB', 100_000], ['1 MB', 1_000_000], ['5 MB', 5_000_000]];
const images = new Map<string, Buffer>();
for (const [name, bytes] of sizes) images.set(name, await jpegOfSize(bytes));

console.log(`Node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}, ${(await import('node:os')).cpus().length} CPUs`);
if (mode === 'time') {
console.log('\nPer request, one data-URL JPEG, no resize needed (ms; "added" = prepare beyond JSON.parse):');
console.log('image      bytes       parse wall  parse cpu   +prepare wall  +prepare cpu  added wall  added cpu');
for (const [name] of sizes) {
  const jpeg = images.get(name)!;
  const text = body(jpeg);
  const n = name === '5 MB' ? 200 : 1000;
  const parse = await time(n, () => JSON.parse(text));
  const both = await time(n, async () => {
    const prepared = await pipeline.prepare(JSON.parse(text), fits, ctx);
    prepared.release();
  });
  console.log(`${name.padEnd(8)} ${String(jpeg.length).padStart(8)}  ${fmt(parse.wallMs)}   ${fmt(parse.cpuMs)}   ${fmt(both.wallMs)}      ${fmt(both.cpuMs)}    ${fmt(both.wallMs - parse.wallMs)}  ${fmt(both.cpuMs - parse.cpuMs)}`);
}

console.log('\nWith a downscale to half the width (decode + resize + JPEG encode in libvips; CPU includes its threads; includes JSON.parse):');
for (const [name] of sizes) {
  const jpeg = images.get(name)!;
  const text = body(jpeg);
  // Distinct limits per run keep the prepared-image cache cold.
  let i = 0;
  const run = await time(name === '5 MB' ? 10 : 30, async () => {
    const prepared = await pipeline.prepare(JSON.parse(text), halve(jpeg, 20_000_000 - i++), ctx);
    prepared.release();
  });
  const cached = await time(50, async () => (await pipeline.prepare(JSON.parse(text), halve(jpeg), ctx)).release());
  console.log(`${name.padEnd(8)} cold: wall ${fmt(run.wallMs)} cpu ${fmt(run.cpuMs)}   cached: wall ${fmt(cached.wallMs)} cpu ${fmt(cached.cpuMs)}`);
}

}

async function peakRss(label: string, target: ImageTarget | null, concurrency: number, rounds: number): Promise<void> {
  const text = body(images.get('5 MB')!);
  globalThis.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 5);
  let overloaded = 0;
  let i = 0;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        try {
          const parsed = JSON.parse(text);
          if (!target) return void (await new Promise((r) => setTimeout(r, 20))); // the harness alone
          const t: ImageTarget = target === fits ? fits : { ...target, limits: { ...target.limits, maxBytes: 20_000_000 - i++ } };
          const prepared = await pipeline.prepare(parsed, t, ctx);
          await new Promise((r) => setTimeout(r, 20)); // the upstream call
          prepared.release();
        } catch (err) {
          if ((err as { status?: number }).status === 503) overloaded++;
          else throw err;
        }
      }),
    );
  }
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const mb = (n: number) => `${Math.round(n / 1_048_576)} MB`;
  console.log(`${label}: ${concurrency}×${rounds} requests in ${Math.round(performance.now() - start)} ms, RSS baseline ${mb(baseline)}, peak ${mb(peak)} (+${mb(peak - baseline)}), 503s: ${overloaded}, budget used after: ${pipeline.budget.used}`);
}

// Each scenario in a fresh process for a clean baseline: node bench/images-bench.ts rss-<name>
if (mode.startsWith('rss')) {
  const which = mode.slice(4);
  const five = images.get('5 MB')!;
  console.log(`Peak RSS, concurrency 64, 5 MB JPEG data URLs (inflight_bytes ${config.inflight_bytes / 1_048_576} MB, wait ${config.inflight_wait_ms} ms):`);
  if (which === 'harness') await peakRss('JSON.parse + 20 ms hold only', null, 64, 4);
  if (which === 'fits') await peakRss('prepare, no resize', fits, 64, 4);
  if (which === 'resize') await peakRss('prepare, downscale to half width', halve(five), 64, 2);
}
await pipeline.close();
