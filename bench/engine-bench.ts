import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import pino from 'pino';
import sharp from 'sharp';
import type { ChatCompletionRequest } from '../src/openai/types.ts';
import { createLocalProvider } from '../src/providers/local/local-provider.ts';

// Measures the embedded engine through its provider (base64 in, answer out): time to ready,
// warm latency percentiles and images/s at concurrency 1 and 4 for a 1 MP and a 12 MP photo
// and a document scan, and peak RSS while 16 requests are in flight.
//
//   node bench/engine-bench.ts [--photo FILE] [--doc FILE] [--rounds N]

const { values } = parseArgs({
  options: {
    photo: { type: 'string', default: '/work/shared/testdata/images/dog.jpg' },
    doc: { type: 'string', default: '/work/shared/testdata/images/phototest.tif' },
    rounds: { type: 'string', default: '12' },
  },
});
const rounds = Number(values.rounds);
const log = pino({ level: 'warn' });

async function photoAt(megapixels: number): Promise<Buffer> {
  const source = existsSync(values.photo!) ? readFileSync(values.photo!) : await syntheticPhoto();
  const meta = await sharp(source).metadata();
  const scale = Math.sqrt((megapixels * 1e6) / (meta.width! * meta.height!));
  return sharp(source).resize(Math.round(meta.width! * scale), Math.round(meta.height! * scale)).jpeg({ quality: 90 }).toBuffer();
}

function syntheticPhoto(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><rect width="800" height="600" fill="#7a9"/><circle cx="400" cy="300" r="180" fill="#c33"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg().toBuffer();
}

function request(image: Buffer, mime: string): ChatCompletionRequest {
  return {
    model: 'Image-Recognition',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Describe this image.' }, { type: 'image_url', image_url: { url: `data:${mime};base64,${image.toString('base64')}` } }] }],
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const t0 = performance.now();
const provider = createLocalProvider({ enabled: true, model_name: 'Image-Recognition', max_queue: 64 }, log);
await provider.whenReady();
const readyMs = performance.now() - t0;
const ctx = () => ({ requestId: 'bench', signal: new AbortController().signal, log });

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);

async function measure(name: string, body: ChatCompletionRequest, concurrency: number) {
  await provider.complete(body, ctx()); // warm for this size
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  const total = rounds * concurrency;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const s = performance.now();
        await provider.complete(body, ctx());
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { name, concurrency, n: latencies.length, p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), perSecond: latencies.length / seconds };
}

const photo1 = await photoAt(1);
const photo12 = await photoAt(12);
const doc = existsSync(values.doc!) ? await sharp(readFileSync(values.doc!)).png().toBuffer() : photo1;
const cases: [string, ChatCompletionRequest][] = [
  ['photo 1 MP', request(photo1, 'image/jpeg')],
  ['photo 12 MP', request(photo12, 'image/jpeg')],
  ['document (OCR)', request(doc, 'image/png')],
];
const rows = [];
for (const [name, body] of cases) for (const c of [1, 4]) rows.push(await measure(name, body, c));

// 16 requests at once, mixed sizes: what memory does the engine need under load?
peakRss = process.memoryUsage().rss;
const burst = Array.from({ length: 16 }, (_, i) => cases[i % cases.length]![1]);
const burstStart = performance.now();
await Promise.all(burst.map((body) => provider.complete(body, ctx())));
const burstMs = performance.now() - burstStart;
clearInterval(sampler);

const f = (x: number) => x.toFixed(0).padStart(6);
console.log(`engine bench — ${availableParallelism()} cores, Node ${process.versions.node}, ${rounds} rounds per worker`);
console.log(`ready after ${readyMs.toFixed(0)} ms`);
console.log('case             conc      n   p50 ms   p90 ms   p99 ms  images/s');
for (const r of rows) console.log(`${r.name.padEnd(16)} ${String(r.concurrency).padStart(4)} ${String(r.n).padStart(6)}   ${f(r.p50)}   ${f(r.p90)}   ${f(r.p99)}  ${r.perSecond.toFixed(2).padStart(8)}`);
console.log(`16 concurrent mixed requests: ${burstMs.toFixed(0)} ms, peak RSS ${(peakRss / 1e6).toFixed(0)} MB`);
await provider.close();
