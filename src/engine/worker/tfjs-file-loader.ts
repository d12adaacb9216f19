import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as tfType from '@tensorflow/tfjs-core';

// tfjs without tfjs-node has no file:// model loader, and tfjs-node cannot be installed here.
// This registers one that reads model.json and its weight shards from disk, so the engine
// never touches the network.

type Tf = typeof tfType;

const registered = new WeakSet<object>();

export function registerFileLoader(tf: Tf): void {
  if (registered.has(tf)) return;
  registered.add(tf);
  tf.io.registerLoadRouter((url: string | string[]) => {
    const first = Array.isArray(url) ? url[0] : url;
    // Not ours: let the other routers (none, offline) have it. tfjs's type says IOHandler, its code accepts null.
    if (typeof first !== 'string' || !first.startsWith('file://')) return null as unknown as tfType.io.IOHandler;
    const modelPath = fileURLToPath(first);
    return {
      load: async () => {
        const json = JSON.parse(await readFile(modelPath, 'utf8'));
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs: tfType.io.WeightsManifestEntry[] = [];
          const shards: Buffer[] = [];
          for (const group of manifest) {
            specs.push(...group.weights);
            for (const file of group.paths) shards.push(await readFile(join(dirname(modelPath), file)));
          }
          const all = Buffer.concat(shards);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
        });
      },
    };
  });
}
