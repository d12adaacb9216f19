import sharp from 'sharp';
import { analyseImage, type Models } from './analyse-image.ts';
import type { AnalyseResult, AnalyseTask } from '../findings.ts';
import { loadHuman } from './load-human.ts';
import { loadTesseract } from './load-tesseract.ts';

// Piscina worker entry. The module's default export resolves to the task handler once the
// models are loaded and warmed, so a worker only takes work when it can do it. A `warmup`
// task lets the pool know every worker is ready.

export type WorkerTask = AnalyseTask | { warmup: true };

async function init(): Promise<(task: WorkerTask) => Promise<AnalyseResult | { warm: true }>> {
  // Every image is new, so libvips' operation cache only holds memory; and with one worker per
  // core, one libvips thread per worker is enough.
  sharp.cache(false);
  sharp.concurrency(1);
  const [human, tesseract] = await Promise.all([loadHuman(), loadTesseract()]);
  const models: Models = { human, tesseract };
  // The first inference compiles wasm kernels; pay for it here, not in the first request.
  const warm = human.tf.zeros([1, 64, 64, 3], 'int32');
  await human.detect(warm, { object: { enabled: true }, face: { enabled: true } });
  warm.dispose();
  // Tesseract's first recognition sets up its LSTM and costs ~1 s; do it in the background
  // (tesseract queues jobs, so a request arriving meanwhile just waits its turn).
  warmTesseract(tesseract).catch(() => undefined);
  return async (task) => {
    if ('warmup' in task) return { warm: true };
    try {
      return await analyseImage(models, task);
    } catch (err) {
      return { ok: false, error: 'engine_error', message: err instanceof Error ? err.message : String(err) };
    }
  };
}

async function warmTesseract(tesseract: Models['tesseract']): Promise<void> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="360" height="60"><rect width="360" height="60" fill="#fff"/><text x="10" y="40" font-family="sans-serif" font-size="28">Warm up 123</text></svg>';
  await tesseract.recognize(await sharp(Buffer.from(svg)).png().toBuffer());
}

export default init();
