import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsText, parseQuestion, type Subject } from './question-intent.ts';

describe('parseQuestion', () => {
  const kinds = (q: string) => parseQuestion(q).map((i) => i.kind);

  it('reads counts with their subject and its COCO classes', () => {
    assert.deepEqual(parseQuestion('How many horses are there?'), [{ kind: 'count', subject: { words: 'horses', classes: ['horse'] } }]);
    assert.deepEqual(parseQuestion('count the birds'), [{ kind: 'count', subject: { words: 'birds', classes: ['bird'] } }]);
    assert.deepEqual(parseQuestion('Here is my photo. How many red cars are there?'), [{ kind: 'count', subject: { words: 'red cars', classes: ['car'] } }]);
    assert.deepEqual(parseQuestion('How many faces?')[0], { kind: 'count', subject: { words: 'faces', classes: null, faces: true } });
  });

  it('finds a subject at the end of a long phrase, in time that grows with it, not with its square', () => {
    assert.deepEqual(parseQuestion(`How many ${'very '.repeat(50)}big hot dogs?`)[0], { kind: 'count', subject: { words: `${'very '.repeat(50)}big hot dogs`, classes: ['hot dog'] } });
    // 40,000 words: joined tail by tail, that was seconds of a blocked event loop.
    const started = performance.now();
    assert.equal(parseQuestion(`how many ${'a '.repeat(40_000)}?`)[0].kind, 'count');
    assert.ok(performance.now() - started < 2_000, `${Math.round(performance.now() - started)} ms`);
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

describe('parseQuestion: everyday phrasings', () => {
  const kinds = (q: string) => parseQuestion(q).map((i) => i.kind);

  it("reads contractions (what's, curly apostrophes) as the words they stand for", () => {
    for (const q of ["What's in this picture?", "What's this?", 'What’s in this image?', "What's happening here?"]) assert.deepEqual(kinds(q), ['describe'], q);
  });

  it('reads "and this one?" (a new image, the same request) as a request to describe it', () => {
    for (const q of ['And this one?', 'What about this one?', 'this one?']) assert.deepEqual(kinds(q), ['describe'], q);
  });

  it('counts everything when no kind of thing is named', () => {
    for (const q of ['How many are there?', 'How many objects are there?', 'How many things can you see?', 'How many do you see?']) {
      const [intent, ...rest] = parseQuestion(q);
      assert.equal(rest.length, 0, q);
      assert.equal(intent!.kind, 'count', q);
      assert.equal((intent as { subject: Subject }).subject.generic, true, q);
    }
  });

  it('reads "dogs and cats", "a cat or a dog" as all the things named', () => {
    assert.deepEqual(parseQuestion('How many dogs and cats are there?'), [{ kind: 'count', subject: { words: 'dogs and cats', classes: ['dog', 'cat'], joined: true } }]);
    assert.deepEqual(parseQuestion('Is there a cat or a dog?'), [{ kind: 'presence', subject: { words: 'cat or a dog', classes: ['cat', 'dog'], joined: true } }]);
    // One part unknown: the phrase as a whole is unknown, never half answered.
    assert.deepEqual(parseQuestion('Are there dogs or trees?'), [{ kind: 'presence', subject: { words: 'dogs or trees', classes: null } }]);
    // Several words for one class are one class.
    assert.deepEqual(parseQuestion('How many men and women are there?'), [{ kind: 'count', subject: { words: 'men and women', classes: ['person'] } }]);
  });

  it('reads "is a dog in the picture?" and "is anyone there?" as presence questions', () => {
    assert.deepEqual(parseQuestion('Is a dog in the picture?'), [{ kind: 'presence', subject: { words: 'dog', classes: ['dog'] } }]);
    assert.deepEqual(parseQuestion('Is anyone there?'), [{ kind: 'presence', subject: { words: 'anyone', classes: ['person'] } }]);
    // Not a thing it knows: left to the unknown answer, not read as "is there an 'it sunny'".
    assert.deepEqual(kinds('Is it sunny in the picture?'), ['unknown']);
  });

  it('keeps an explicit request to describe beside other questions in the same sentence', () => {
    assert.deepEqual(kinds('Describe this image and count the people.'), ['describe', 'count']);
    assert.deepEqual(kinds('Describe the image and tell me how many dogs there are.'), ['describe', 'count']);
  });

  it('reads "what animals are there?" as a count of that group, and leaves "what kind of dog" unknown', () => {
    for (const q of ['What animals are there?', 'What animal is in the picture?', 'Which animals are in this photo?', 'What vehicles are there?']) {
      const [intent, ...rest] = parseQuestion(q);
      assert.equal(rest.length, 0, q);
      assert.equal(intent!.kind, 'count', q);
      assert.ok(((intent as { subject: Subject }).subject.classes?.length ?? 0) > 1, q);
    }
    assert.deepEqual(kinds('What kind of dog is it?'), ['unknown']);
    assert.deepEqual(kinds('What breed is the dog?'), ['unknown']);
  });

  it('reads "is there anything written?" as a text question only', () => {
    assert.deepEqual(kinds('Is there anything written?'), ['text']);
    assert.deepEqual(kinds('Are there any printed words?'), ['text']);
  });
});
