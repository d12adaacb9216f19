import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsText, parseQuestion } from './question-intent.ts';

describe('parseQuestion', () => {
  const kinds = (q: string) => parseQuestion(q).map((i) => i.kind);

  it('reads counts with their subject and its COCO classes', () => {
    assert.deepEqual(parseQuestion('How many horses are there?'), [{ kind: 'count', subject: { words: 'horses', classes: ['horse'] } }]);
    assert.deepEqual(parseQuestion('count the birds'), [{ kind: 'count', subject: { words: 'birds', classes: ['bird'] } }]);
    assert.deepEqual(parseQuestion('Here is my photo. How many red cars are there?'), [{ kind: 'count', subject: { words: 'red cars', classes: ['car'] } }]);
    assert.deepEqual(parseQuestion('How many faces?')[0], { kind: 'count', subject: { words: 'faces', classes: null, faces: true } });
  });

  it('reads yes/no questions', () => {
    assert.deepEqual(parseQuestion('Is there a dog in this image?'), [{ kind: 'presence', subject: { words: 'dog', classes: ['dog'] } }]);
    assert.deepEqual(parseQuestion('is there anyone in the photo?'), [{ kind: 'presence', subject: { words: 'anyone', classes: ['person'] } }]);
    assert.deepEqual(parseQuestion('Do you see any trees?'), [{ kind: 'presence', subject: { words: 'trees', classes: null } }]);
    assert.deepEqual(parseQuestion('Is this a cat?'), [{ kind: 'presence', subject: { words: 'cat', classes: ['cat'] } }]);
  });

  it('tells text, colour, size, format and description requests apart', () => {
    assert.deepEqual(kinds('What does the text say?'), ['text']);
    assert.deepEqual(kinds('Can you read this?'), ['text']);
    assert.deepEqual(kinds('What colours are in the picture?'), ['colours']);
    assert.deepEqual(parseQuestion('What colour is the car?'), [{ kind: 'colours', subject: { words: 'car', classes: ['car'] } }]);
    assert.deepEqual(kinds('How many pixels is it?'), ['size']);
    assert.deepEqual(kinds('What is the resolution?'), ['size']);
    assert.deepEqual(kinds('what format is this file'), ['format']);
    assert.deepEqual(kinds('Describe this image.'), ['describe']);
    assert.deepEqual(kinds('What is this?'), ['describe']);
    assert.deepEqual(kinds(''), ['describe']);
    assert.deepEqual(kinds('Thanks, here it is.'), ['describe']);
  });

  it('keeps questions it cannot map as unknown', () => {
    assert.deepEqual(kinds('What breed is the dog?'), ['unknown']);
    assert.deepEqual(kinds('Is it sunny?'), ['unknown']);
    assert.deepEqual(kinds('Who is this man?'), ['unknown']);
  });

  it('says when OCR must run', () => {
    assert.equal(needsText(parseQuestion('What does the sign say?')), true);
    assert.equal(needsText(parseQuestion('How many dogs?')), false);
  });
});
