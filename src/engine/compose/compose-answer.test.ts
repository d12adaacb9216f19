import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageFindings } from '../findings.ts';
import { composeAnswer } from './compose-answer.ts';
import { findingsJson } from './findings-json.ts';

function findings(over: Partial<ImageFindings> = {}): ImageFindings {
  return {
    format: 'jpeg', width: 800, height: 600, megapixels: 0.5, orientation: 'landscape', exifOrientation: 1,
    bytes: 120_000, frames: 1, hasAlpha: false, objects: [], detections: [], people: 0, faces: [],
    text: null, textChecked: false, colours: [{ name: 'green', share: 0.5, hex: '#00aa00' }, { name: 'blue', share: 0.3, hex: '#0000cc' }],
    timingsMs: { decode: 1, objects: 1, faces: 0, ocr: 0, total: 2 },
    ...over,
  };
}

const dogs = findings({
  objects: [{ label: 'dog', count: 2, confidence: 0.6 }, { label: 'bicycle', count: 1, confidence: 0.5 }],
  detections: [
    { label: 'dog', score: 0.6, box: [0.1, 0.1, 0.3, 0.4], colour: 'brown' },
    { label: 'dog', score: 0.5, box: [0.5, 0.1, 0.2, 0.2], colour: 'black' },
    { label: 'bicycle', score: 0.5, box: [0.6, 0.5, 0.3, 0.3], colour: 'red and yellow' },
  ],
});
const people = findings({
  objects: [{ label: 'person', count: 2, confidence: 0.7 }, { label: 'tie', count: 1, confidence: 0.3 }],
  people: 2,
  faces: [{ score: 0.8, box: [0.1, 0, 0.2, 0.3] }, { score: 0.7, box: [0.6, 0, 0.2, 0.3] }],
});
const doc = findings({ format: 'png', colours: [{ name: 'white', share: 0.9, hex: '#ffffff' }], text: { lines: ['Hello World', 'Second line'], confidence: 95 }, textChecked: true });

describe('composeAnswer', () => {
  it('describes what it sees when asked what this is, or given no text', () => {
    for (const q of ['What is this?', 'Describe the image', '']) {
      const a = composeAnswer([dogs], q);
      assert.match(a, /landscape JPEG image, 800×600 pixels/);
      assert.match(a, /2 dogs and a bicycle/);
      assert.match(a, /green \(50%\) and blue \(30%\)/);
    }
  });

  it('answers counts from the findings, including zero', () => {
    assert.equal(composeAnswer([dogs], 'How many dogs are there?'), 'There are 2 dogs.');
    assert.equal(composeAnswer([dogs], 'how many bicycles?'), 'There is one bicycle.');
    assert.match(composeAnswer([dogs], 'How many cats are in the picture?'), /^I don't see any cats\. I can see 2 dogs and a bicycle\.$/);
    assert.equal(composeAnswer([people], 'How many people are there?'), 'There are 2 people.');
    assert.equal(composeAnswer([people], 'How many faces?'), 'I can see 2 faces.');
    assert.match(composeAnswer([dogs], 'How many animals?'), /^I can see 2 animals: 2 dogs\.$/);
  });

  it('answers yes/no questions', () => {
    assert.equal(composeAnswer([dogs], 'Is there a dog in this image?'), 'Yes, I can see 2 dogs.');
    assert.equal(composeAnswer([dogs], 'Do you see a puppy?'), 'Yes, I can see 2 dogs.');
    assert.match(composeAnswer([dogs], 'Are there any cats?'), /^No, I don't see any cats\./);
    assert.match(composeAnswer([people], 'Is there anyone in the photo?'), /^Yes, I can see 2 people\.$/);
  });

  it('says plainly when it cannot know, and what it does see', () => {
    const a = composeAnswer([dogs], 'What breed is the dog?');
    assert.match(a, /^I can't tell that from the image/);
    assert.match(a, /What I can see: 2 dogs and a bicycle/);
    const trees = composeAnswer([dogs], 'Are there any trees?');
    assert.match(trees, /^I can't tell whether there are trees: "trees" is not among the things I can recognise/);
    assert.doesNotMatch(trees, /^(Yes|No)/);
  });

  it('reads the text line by line, or says there is none', () => {
    assert.equal(composeAnswer([doc], 'What does the text say?'), 'The text reads:\nHello World\nSecond line');
    assert.equal(composeAnswer([dogs], 'What does it say?'), "I can't find any legible printed text in this image.");
    assert.match(composeAnswer([doc], ''), /looks like a document/);
  });

  it('names colours, and does not claim an object colour it cannot measure', () => {
    assert.equal(composeAnswer([dogs], 'What colours are in the picture?'), 'The main colours are green (50%) and blue (30%).');
    const bike = composeAnswer([dogs], 'What colour is the bicycle?');
    assert.match(bike, /can't measure the colour of the bicycle on its own; the area where I see it is mostly red and yellow/);
    assert.match(composeAnswer([dogs], 'What colour is the car?'), /I don't see any car/);
  });

  it('answers size, format and orientation', () => {
    assert.match(composeAnswer([dogs], 'How big is the image?'), /^The image is 800×600 pixels \(0\.5 megapixels, landscape\), a JPEG file of 120 KB\.$/);
    assert.match(composeAnswer([dogs], 'What is the resolution?'), /800×600/);
    assert.match(composeAnswer([dogs], 'What format is it?'), /^It is a JPEG image, 120 KB\.$/);
    assert.match(composeAnswer([findings({ format: 'gif', frames: 12 })], 'what file type is this'), /animated GIF with 12 frames/);
    assert.match(composeAnswer([dogs], 'How big is the dog?'), /takes up about 12% of the picture; I can't tell its real-world size/);
  });

  it('answers several questions in one message', () => {
    const a = composeAnswer([dogs], 'How many dogs are there? What colours?');
    assert.equal(a, 'There are 2 dogs. The main colours are green (50%) and blue (30%).');
  });

  it('says the text and the colours once when asked to describe and to read (as analysis mode asks)', () => {
    const prompt = 'Describe this image thoroughly. First transcribe all visible text verbatim. Then describe what the image shows: objects, colours.';
    const long = findings({ text: { lines: Array.from({ length: 15 }, (_, i) => `line ${i + 1}`), confidence: 90 }, textChecked: true });
    for (const f of [doc, long, dogs]) {
      const a = composeAnswer([f], prompt);
      assert.equal(a.match(/The main colours are/g)?.length, 1, a);
      assert.ok((a.match(/The text reads/g)?.length ?? 0) <= 1, a);
    }
    // The whole text, not the first dozen lines.
    assert.match(composeAnswer([long], prompt), /line 15/);
    assert.match(composeAnswer([dogs], prompt), /can't find any legible printed text/);
  });

  it('answers several images image by image', () => {
    const a = composeAnswer([dogs, people], 'How many dogs?');
    assert.equal(a, "Image 1: There are 2 dogs.\n\nImage 2: I don't see any dogs. I can see 2 people (2 faces visible) and a tie.");
  });

  it('asks for an image when there is none', () => {
    assert.match(composeAnswer([], 'What is this?'), /^I need an image to answer/);
  });

  it('never names an object that is not in the findings', () => {
    const empty = findings();
    for (const q of ['What is this?', 'How many cars?', 'Is there a cat?', 'What breed is it?']) {
      const a = composeAnswer([empty], q);
      assert.doesNotMatch(a, /I can see (a|an|\d)/, `${q}: ${a}`);
    }
  });
});

describe('composeAnswer: everyday phrasings and edge cases', () => {
  it('answers "how many are there?" with everything it counted, and never says "no" to "anything?"', () => {
    assert.equal(composeAnswer([dogs], 'How many are there?'), 'I can see 2 dogs and a bicycle.');
    assert.equal(composeAnswer([people], 'How many objects are there?'), 'I can see 2 people (2 faces visible) and a tie.');
    assert.equal(composeAnswer([findings()], 'How many are there?'), "I don't recognise any everyday objects or people in it.");
    assert.equal(composeAnswer([dogs], 'Is there anything in the picture?'), 'Yes, I can see 2 dogs and a bicycle.');
    // A painting holds things, just none of the 80 kinds: not "No".
    assert.equal(composeAnswer([findings()], 'Is there anything in the picture?'), "I don't recognise any everyday objects or people in it.");
  });

  it('answers for every thing named in "dogs and cats" / "a cat or a dog"', () => {
    assert.equal(composeAnswer([dogs], 'How many dogs and cats are there?'), 'I can see 2 dogs and no cats.');
    assert.equal(composeAnswer([dogs], 'Is there a cat or a dog?'), 'Yes, I can see 2 dogs, but no cats.');
    assert.match(composeAnswer([people], 'Is there a cat or a dog?'), /^No, I don't see any cats or dogs\. I can see 2 people/);
    assert.equal(composeAnswer([people], 'How many people and dogs?'), 'I can see 2 people and no dogs.');
    assert.equal(composeAnswer([people], 'How many cats and dogs?'), "I don't see any cats or dogs. I can see 2 people (2 faces visible) and a tie.");
  });

  it('names the animals when asked which animals are there', () => {
    const farm = findings({ objects: [{ label: 'dog', count: 1, confidence: 0.4 }, { label: 'horse', count: 1, confidence: 0.3 }, { label: 'person', count: 1, confidence: 0.6 }], people: 1 });
    assert.equal(composeAnswer([farm], 'What animals are there?'), 'I can see 2 animals: a dog and a horse.');
    assert.match(composeAnswer([people], 'What animals are in the picture?'), /^I don't see any animals\./);
  });

  it('says nothing it cannot finish when the image has no dominant colour', () => {
    const mixed = findings({ colours: [] });
    for (const q of ['What colour is the car?', 'What colour is the tree?']) {
      const a = composeAnswer([mixed], q);
      assert.doesNotMatch(a, /are \.|are $/, a);
      assert.match(a, /very mixed/, a);
    }
  });

  it('never says it does not see a thing it saw whose area has no dominant colour', () => {
    const bike = findings({ objects: [{ label: 'bicycle', count: 1, confidence: 0.5 }], detections: [{ label: 'bicycle', score: 0.5, box: [0.1, 0.1, 0.3, 0.3], colour: null }] });
    const a = composeAnswer([bike], 'What colour is the bicycle?');
    assert.doesNotMatch(a, /don't see/, a);
    assert.match(a, /^I can see a bicycle, but the area where I see it has no dominant colour\./, a);
  });

  it('answers how big a face is from the faces it found', () => {
    assert.match(composeAnswer([people], 'How big is the face?'), /^The largest face takes up about 6% of the picture/);
    assert.equal(composeAnswer([dogs], 'How big are the faces?'), "I don't see any faces.");
  });

  it('starts no line with a space after the text of a description', () => {
    const a = composeAnswer([doc], 'Describe this image.');
    assert.match(a, /Second line\nThe main colours are white/);
    assert.doesNotMatch(a, /\n /);
  });
});

describe('findingsJson', () => {
  it('returns the findings and the answer as JSON, without timings', () => {
    const parsed = JSON.parse(findingsJson([dogs, doc], 'answer text'));
    assert.equal(parsed.answer, 'answer text');
    assert.equal(parsed.images.length, 2);
    assert.deepEqual(parsed.images[0].objects, dogs.objects);
    assert.deepEqual(parsed.images[1].text.lines, ['Hello World', 'Second line']);
    assert.equal(parsed.images[0].timingsMs, undefined);
  });
});
