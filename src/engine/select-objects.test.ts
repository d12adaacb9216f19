import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DetectedObject } from './findings.ts';
import { selectObjects } from './select-objects.ts';

const d = (label: string, score: number, box: [number, number, number, number]): DetectedObject => ({ label, score, box });

describe('selectObjects', () => {
  it('names a class only when one detection is confident', () => {
    const { counts } = selectObjects([d('dog', 0.45, [0.1, 0.1, 0.3, 0.3]), d('parking meter', 0.27, [0.5, 0.1, 0.05, 0.05]), d('cake', 0.21, [0, 0, 1, 1])]);
    assert.deepEqual(counts.map((c) => c.label), ['dog']);
  });

  it('counts weaker instances of a present class unless tiny', () => {
    const { counts } = selectObjects([
      d('horse', 0.63, [0.55, 0.4, 0.2, 0.25]),
      d('horse', 0.57, [0, 0.36, 0.4, 0.43]),
      d('horse', 0.22, [0.3, 0.37, 0.15, 0.12]),
      d('horse', 0.21, [0.9, 0.2, 0.02, 0.03]),
      d('horse', 0.15, [0.2, 0.2, 0.3, 0.3]),
    ]);
    assert.deepEqual(counts, [{ label: 'horse', count: 3, confidence: 0.63 }]);
  });

  it('drops a weaker box that encloses a stronger one of the same class, or overlaps it', () => {
    const { counts } = selectObjects([
      d('person', 0.62, [0.2, 0.2, 0.07, 0.6]),
      d('person', 0.52, [0.7, 0.3, 0.07, 0.5]),
      d('person', 0.48, [0.5, 0.05, 0.48, 0.95]),
      d('person', 0.4, [0.205, 0.21, 0.07, 0.58]),
    ]);
    assert.equal(counts[0]!.count, 2);
  });

  it('needs a person for worn accessories, and more confidence on graphics', () => {
    assert.deepEqual(selectObjects([d('tie', 0.4, [0.4, 0.4, 0.1, 0.2])]).counts, []);
    assert.equal(selectObjects([d('tie', 0.4, [0.4, 0.4, 0.1, 0.2]), d('person', 0.6, [0.3, 0.1, 0.3, 0.8])]).counts.length, 2);
    assert.deepEqual(selectObjects([d('kite', 0.44, [0.1, 0.1, 0.2, 0.2])], { graphic: true }).counts, []);
    assert.equal(selectObjects([d('kite', 0.44, [0.1, 0.1, 0.2, 0.2])]).counts.length, 1);
  });
});
