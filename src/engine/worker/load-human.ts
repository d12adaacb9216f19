import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerFileLoader } from './tfjs-file-loader.ts';

// @vladmandic/human on the tfjs WebAssembly backend, loaded from the package's own models/.
// Its export map has no subpaths, so the wasm build is required by file path.

const require = createRequire(import.meta.url);

/** The lowest score we ask centernet for; per-class thresholds are applied afterwards. */
export const DETECTOR_FLOOR = 0.2;

export interface HumanResultObject {
  score: number;
  label: string;
  box: [number, number, number, number];
}
export interface HumanResultFace {
  score: number;
  boxScore?: number;
  faceScore?: number;
  box: [number, number, number, number];
  age?: number;
  gender?: string;
  genderScore?: number;
  emotion?: { score: number; emotion: string }[];
}
export interface HumanResult {
  object: HumanResultObject[];
  face: HumanResultFace[];
}

/** The parts of Human (and its tfjs) the engine uses. */
export interface HumanLike {
  load(): Promise<void>;
  detect(input: unknown, config?: Record<string, unknown>): Promise<HumanResult>;
  tf: {
    tensor4d(data: Int32Array | Uint8Array, shape: [number, number, number, number], dtype: 'int32'): { dispose(): void };
    zeros(shape: number[], dtype: 'int32'): { dispose(): void };
    engine(): { memory(): { numTensors: number } };
  } & Parameters<typeof registerFileLoader>[0];
}

export async function loadHuman(): Promise<HumanLike> {
  const humanDir = join(dirname(require.resolve('@vladmandic/human')), '..');
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  const { Human } = require(join(humanDir, 'dist/human.node-wasm.js')) as { Human: new (config: object) => HumanLike };
  const human = new Human({
    backend: 'wasm',
    wasmPath: `${wasmDir}/`,
    modelBasePath: `${pathToFileURL(join(humanDir, 'models')).href}/`,
    debug: false,
    async: false,
    // Every image is new: no frame-to-frame result caching.
    cacheSensitivity: 0,
    filter: { enabled: false },
    segmentation: { enabled: false },
    hand: { enabled: false },
    body: { enabled: false },
    gesture: { enabled: false },
    face: {
      enabled: true,
      detector: { rotation: false, maxDetected: 20, minConfidence: 0.5, skipFrames: 0, skipTime: 0 },
      mesh: { enabled: false },
      iris: { enabled: false },
      description: { enabled: false },
      emotion: { enabled: false },
      antispoof: { enabled: false },
      liveness: { enabled: false },
    },
    object: { enabled: true, modelPath: 'centernet.json', minConfidence: DETECTOR_FLOOR, maxDetected: 40, skipFrames: 0, skipTime: 0 },
  });
  // The tfjs instance human itself uses: register the file loader on that one.
  registerFileLoader(human.tf);
  await human.load();
  return human;
}
