import type { DetectedObject, FaceFinding } from '../findings.ts';
import type { HumanLike } from './load-human.ts';

// Objects (centernet, COCO) and faces (blazeface) on one RGB frame. Human merges per-call
// config into its own, so every call states which models run.

const OBJECTS_ONLY = { object: { enabled: true }, face: { enabled: false } };
const FACES_ONLY = { object: { enabled: false }, face: { enabled: true } };

export interface Frame {
  rgb: Uint8Array;
  width: number;
  height: number;
}

function toTensor(human: HumanLike, frame: Frame) {
  // int32 is what human's wasm path expects for image tensors.
  return human.tf.tensor4d(Int32Array.from(frame.rgb), [1, frame.height, frame.width, 3], 'int32');
}

export async function detectObjects(human: HumanLike, frame: Frame): Promise<DetectedObject[]> {
  const tensor = toTensor(human, frame);
  try {
    const result = await human.detect(tensor, OBJECTS_ONLY);
    return result.object.map((o) => ({ label: o.label, score: o.score, box: normalise(o.box, frame) }));
  } finally {
    tensor.dispose();
  }
}

export async function detectFaces(human: HumanLike, frame: Frame, minScore: number): Promise<FaceFinding[]> {
  const tensor = toTensor(human, frame);
  try {
    const result = await human.detect(tensor, FACES_ONLY);
    return result.face
      .filter((f) => f.score >= minScore)
      .map((f) => ({ score: Math.round(f.score * 100) / 100, box: normalise(f.box, frame) }));
  } finally {
    tensor.dispose();
  }
}

function normalise(box: [number, number, number, number], frame: Frame): [number, number, number, number] {
  const r = (v: number) => Math.round(v * 1000) / 1000;
  const x = Math.max(0, box[0]);
  const y = Math.max(0, box[1]);
  return [r(x / frame.width), r(y / frame.height), r(Math.min(box[2], frame.width - x) / frame.width), r(Math.min(box[3], frame.height - y) / frame.height)];
}
