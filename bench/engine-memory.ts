import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { EnginePool } from '../src/engine/engine-pool.ts';

// Peak RSS of the engine: at rest after start, and while 16 mixed images are in flight.
//   node bench/engine-memory.ts [PHOTO] [DOCUMENT]

const mb = (n: number) => `${(n / 1e6).toFixed(0)} MB`;
const photo = readFileSync(process.argv[2] ?? '/work/shared/testdata/images/dog.jpg');
const doc = readFileSync(process.argv[3] ?? '/work/shared/testdata/images/phototest.tif');
const big = await sharp(photo).resize(4000, 3000).jpeg({ quality: 90 }).toBuffer();
const before = process.memoryUsage().rss;
const pool = new EnginePool({ maxQueue: 64 });
await pool.whenReady();
await new Promise((r) => setTimeout(r, 1500)); // let the background OCR warm-up finish
const ready = process.memoryUsage().rss;
let peak = ready;
const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
for (let round = 0; round < 3; round++) {
  await Promise.all(Array.from({ length: 16 }, (_, i) => pool.analyse([photo, big, doc][i % 3]!)));
}
clearInterval(timer);
console.log(`before engine ${mb(before)}, ready ${mb(ready)}, peak with 16 in flight ${mb(peak)}, after ${mb(process.memoryUsage().rss)}`);
await pool.close();
