// A module hook, loaded with `node --import BREAK_ENGINE` (worker threads inherit it), that makes
// the engine's model loading throw "model files missing (test)", as with missing model files.

export const BREAK_ENGINE = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
registerHooks({
  load(url, context, nextLoad) {
    const result = nextLoad(url, context);
    if (!url.endsWith('/engine/worker/load-human.ts')) return result;
    return { ...result, source: String(result.source).replace(/export async function loadHuman\\(\\)[^{]*\\{/, '$& throw new Error("model files missing (test)");') };
  },
});
`)}`;
