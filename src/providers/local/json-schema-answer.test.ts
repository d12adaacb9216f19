import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../openai/api-error.ts';
import type { ResponseFormat } from '../../openai/types.ts';
import { answerForSchema, checkResponseSchema } from './json-schema-answer.ts';

const doc = {
  answer: 'There are 4 horses.',
  images: [
    {
      index: 0,
      format: 'jpeg',
      width: 773,
      height: 512,
      objects: [{ label: 'horse', count: 4, confidence: 0.63 }],
      text: null,
      colours: [{ name: 'brown', share: 0.39, hex: '#7d6c53' }],
    },
  ],
};
const format = (schema: Record<string, unknown> | undefined, strict = true): ResponseFormat => ({ type: 'json_schema', json_schema: { name: 'findings', strict, ...(schema ? { schema } : {}) } });
const isSchema400 = (err: unknown) => err instanceof ApiError && err.status === 400 && err.param === 'response_format.json_schema.schema';

describe('JSON schema answers', () => {
  it('fills a strict schema that asks for the answer only', () => {
    const f = format({ type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false });
    checkResponseSchema(f);
    assert.deepEqual(JSON.parse(answerForSchema(doc, f)), { answer: 'There are 4 horses.' });
  });

  it('keeps only the fields a strict schema names, at every level, through $defs and nullable anyOf', () => {
    const f = format({
      type: 'object',
      additionalProperties: false,
      required: ['images'],
      properties: {
        images: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['objects', 'text'],
            properties: {
              objects: { type: 'array', items: { $ref: '#/$defs/object' } },
              text: { anyOf: [{ type: 'object', properties: { lines: { type: 'array', items: { type: 'string' } } }, required: ['lines'], additionalProperties: false }, { type: 'null' }] },
            },
          },
        },
      },
      $defs: { object: { type: 'object', properties: { label: { type: 'string' }, count: { type: 'integer' } }, required: ['label', 'count'], additionalProperties: false } },
    });
    checkResponseSchema(f);
    assert.deepEqual(JSON.parse(answerForSchema(doc, f)), { images: [{ objects: [{ label: 'horse', count: 4 }], text: null }] });
  });

  it('returns every finding when the schema allows more fields, or gives no schema', () => {
    assert.deepEqual(JSON.parse(answerForSchema(doc, format({ type: 'object', properties: { answer: { type: 'string' } } }, false))), doc);
    assert.deepEqual(JSON.parse(answerForSchema(doc, format(undefined))), doc);
  });

  it('refuses before any work a schema that requires fields the engine has no value for', () => {
    const f = format({ type: 'object', properties: { count: { type: 'integer' } }, required: ['count'], additionalProperties: false });
    assert.throws(() => checkResponseSchema(f), (err: unknown) => isSchema400(err) && /"answer".*"images"/.test((err as Error).message) && /count/.test((err as Error).message));
    assert.throws(() => checkResponseSchema(format({ type: 'array', items: { type: 'string' } })), isSchema400);
  });

  it('refuses an answer that does not validate, rather than sending JSON that breaks the schema', () => {
    const f = format({ type: 'object', properties: { answer: { type: 'string', maxLength: 5 } }, required: ['answer'], additionalProperties: false });
    checkResponseSchema(f);
    assert.throws(() => answerForSchema(doc, f), (err: unknown) => isSchema400(err) && /\/answer must NOT have more than 5 characters/.test((err as Error).message));
  });

  it('refuses a schema that is not valid JSON Schema', () => {
    assert.throws(() => checkResponseSchema(format({ type: 'object', properties: { answer: { type: 'no-such-type' } } })), isSchema400);
  });
});

it('serves schemas that share an $id, from different clients, each by its own shape', () => {
  const doc = { answer: 'Two people.', images: [] };
  const withId = (properties: Record<string, unknown>, required: string[]): ResponseFormat => ({
    type: 'json_schema',
    json_schema: { name: 'a', strict: true, schema: { $id: 'https://example.com/answer', type: 'object', properties, required, additionalProperties: false } },
  });
  assert.equal(answerForSchema(doc, withId({ answer: { type: 'string' } }, ['answer'])), '{"answer":"Two people."}');
  assert.equal(answerForSchema(doc, withId({ images: { type: 'array' } }, ['images'])), '{"images":[]}');
});

it('refuses regular expressions anywhere in a schema (they would run on the main thread, on text the client controls), and huge schemas', () => {
  const strict = (schema: Record<string, unknown>): ResponseFormat => ({ type: 'json_schema', json_schema: { name: 's', strict: true, schema } });
  const cases = [
    { type: 'object', properties: { answer: { type: 'string', pattern: '(a|a)+$' } }, required: ['answer'], additionalProperties: false },
    { type: 'object', properties: { images: { type: 'array', items: { type: 'object', patternProperties: { '^(a+)+$': {} } } } }, required: ['images'], additionalProperties: false },
    { type: 'object', $defs: { A: { type: 'string', pattern: 'x' } }, properties: { answer: { $ref: '#/$defs/A' } }, required: ['answer'], additionalProperties: false },
  ];
  for (const schema of cases) {
    assert.throws(() => checkResponseSchema(strict(schema)), (err: ApiError) => err.status === 400 && err.param === 'response_format.json_schema.schema' && /regular expressions/.test(err.message));
  }
  // A field called "pattern" is only a name.
  checkResponseSchema(strict({ type: 'object', properties: { answer: { type: 'string' }, pattern: { type: 'string' } }, required: ['answer'], additionalProperties: false }));
  const huge = { type: 'object', properties: { answer: { type: 'string', description: 'x'.repeat(70_000) } }, required: ['answer'], additionalProperties: false };
  assert.throws(() => checkResponseSchema(strict(huge)), (err: ApiError) => err.status === 400 && /larger than 64 KB/.test(err.message));
});
