import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageFindings } from '../findings.ts';
import { charAccuracy, editDistance } from './char-accuracy.ts';
import { markdownTable, scoreImage, totalScores } from './score-findings.ts';

const base: ImageFindings = {
  format: 'jpeg', width: 10, height: 10, megapixels: 0, orientation: 'square', exifOrientation: null, bytes: 1, frames: 1, hasAlpha: false,
  objects: [], detections: [], people: 0, faces: [], text: null, textChecked: false, colours: [], timingsMs: { decode: 0, objects: 0, faces: 0, ocr: 0, total: 5 },
};

describe('char accuracy', () => {
  it('is 1 − edits/length on whitespace-normalised text', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(charAccuracy('Hello  World\n', 'Hello World'), 1);
    assert.equal(charAccuracy('abcd', 'abed'), 0.75);
    assert.equal(charAccuracy('abc', ''), 0);
  });
});

describe('scoreImage', () => {
  it('counts found, missed, out-of-range and invented classes, honouring aliases and optional', () => {
    const f = { ...base, objects: [{ label: 'car', count: 1, confidence: 0.5 }, { label: 'dog', count: 2, confidence: 0.5 }, { label: 'potted plant', count: 1, confidence: 0.4 }, { label: 'kite', count: 1, confidence: 0.4 }] };
    const s = scoreImage('a.jpg', { objects: { dog: [1, 1], truck: [1, 1], bicycle: [1, 1] }, aliases: { truck: ['car'] }, optional: ['potted plant'] }, f);
    assert.deepEqual(s.found, ['dog', 'truck']);
    assert.deepEqual(s.missed, ['bicycle']);
    assert.deepEqual(s.countErrors, ['dog 2 (1)', 'bicycle 0 (1)']);
    assert.deepEqual(s.invented, ['kite']);
  });

  it('scores OCR and totals weighted by text length', () => {
    const doc = scoreImage('d.png', { objects: {}, text: ['Hello World'] }, { ...base, text: { lines: ['Hello World'], confidence: 90 } });
    const bad = scoreImage('e.png', { objects: {}, text: ['abcd'] }, { ...base, text: { lines: ['abed'], confidence: 90 } });
    const totals = totalScores([doc, bad], { 'd.png': { text: ['Hello World'] }, 'e.png': { text: ['abcd'] } });
    assert.equal(doc.ocrAccuracy, 1);
    assert.equal(totals.ocrImages, 2);
    assert.ok(Math.abs(totals.ocrAccuracy! - (11 + 3) / 15) < 1e-9);
    assert.equal(totals.countsInRange, 2);
    const table = markdownTable([doc, bad], totals);
    assert.match(table, /^\| image \| classes found/);
    assert.match(table, /\| d\.png \| — \| — \| yes \| — \| — \| 100\.0% \| 5 \|/);
  });
});
