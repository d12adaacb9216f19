import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createWorker, OEM, PSM, type Worker } from 'tesseract.js';

// tesseract.js with the bundled English LSTM data: no CDN, no cache directory.

const require = createRequire(import.meta.url);

export async function loadTesseract(): Promise<Worker> {
  const langPath = join(dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0_best_int');
  const worker = await createWorker('eng', OEM.LSTM_ONLY, { langPath, gzip: true, cacheMethod: 'none' });
  // debug_file: tesseract's diagnostics ("Estimating resolution as ...") would go to stderr.
  await worker.setParameters({ tessedit_pageseg_mode: PSM.AUTO, preserve_interword_spaces: '0', debug_file: '/dev/null' });
  return worker;
}
