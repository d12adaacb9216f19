import { analyseImage, type Models } from './analyse-image.ts';
import type { AnalyseResult, AnalyseTask } from '../findings.ts';
import { loadHuman } from './load-human.ts';
import { loadTesseract } from './load-tesseract.ts';

// Piscina worker entry. The module's default export resolves to the task handler once the
// models are loaded and warmed, so a worker only takes work when it can do it. A `warmup`
// task lets the pool know every worker is ready.

export type WorkerTask = AnalyseTask | { warmup: true };

async function init(): Promise<(task: WorkerTask) => Promise<AnalyseResult | { warm: true }>> {
  const [human, tesseract] = await Promise.all([loadHuman(), loadTesseract()]);
  const models: Models = { human, tesseract };
  // The first inference compiles wasm kernels; pay for it here, not in the first request.
  const warm = human.tf.zeros([1, 64, 64, 3], 'int32');
  await human.detect(warm, { object: { enabled: true }, face: { enabled: true } });
  warm.dispose();
  return async (task) => {
    if ('warmup' in task) return { warm: true };
    try {
      return await analyseImage(models, task);
    } catch (err) {
      return { ok: false, error: 'engine_error', message: err instanceof Error ? err.message : String(err) };
    }
  };
}

export default init();
