import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convertToGeminiSchema } from './convert-to-gemini-schema.ts';

test('JSON Schema becomes the OpenAPI subset: unknown keywords dropped, types upper-case, null as nullable', () => {
  const out = convertToGeminiSchema({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', description: 'who' },
      age: { type: ['integer', 'null'] },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
      kind: { enum: ['cat', 'dog'] },
    },
    required: ['name'],
  });
  assert.deepEqual(out, {
    type: 'OBJECT',
    properties: {
      name: { type: 'STRING', description: 'who' },
      age: { type: 'INTEGER', nullable: true },
      tags: { type: 'ARRAY', items: { type: 'STRING' }, maxItems: 3 },
      kind: { enum: ['cat', 'dog'], type: 'STRING' },
    },
    required: ['name'],
  });
});

test('local $refs are inlined and anyOf with null becomes nullable', () => {
  const out = convertToGeminiSchema({
    type: 'object',
    properties: { point: { $ref: '#/$defs/Point' }, note: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
    $defs: { Point: { type: 'object', properties: { x: { type: 'number' } } } },
  });
  assert.deepEqual(out.properties, {
    point: { type: 'OBJECT', properties: { x: { type: 'NUMBER' } } },
    note: { nullable: true, type: 'STRING' },
  });
});
