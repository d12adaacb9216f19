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

test('formats Gemini refuses are dropped: it takes only enum/date-time, float/double and int32/int64', () => {
  const out = convertToGeminiSchema({
    type: 'object',
    properties: {
      email: { type: 'string', format: 'email' },
      at: { type: 'string', format: 'date-time' },
      day: { type: 'string', format: 'date' },
      n: { type: 'integer', format: 'int64' },
      x: { type: 'number', format: 'int32' },
      size: { enum: ['s', 'm'], format: 'int32' },
    },
  });
  assert.deepEqual(out.properties, {
    email: { type: 'STRING' },
    at: { type: 'STRING', format: 'date-time' },
    day: { type: 'STRING' },
    n: { type: 'INTEGER', format: 'int64' },
    x: { type: 'NUMBER' },
    size: { enum: ['s', 'm'], type: 'STRING' },
  });
});

test('a number enum stays a number (Gemini enums are strings, and "2" is not the 2 the client asked for): bounded, its values described', () => {
  const out = convertToGeminiSchema({
    type: 'object',
    properties: {
      level: { type: 'integer', enum: [1, 2, 3], description: 'How urgent' },
      ratio: { enum: [0.5, 1, 2] },
      only: { const: 7 },
      mixed: { enum: [1, 'two', null] },
    },
  });
  assert.deepEqual(out.properties, {
    level: { type: 'INTEGER', minimum: 1, maximum: 3, description: 'How urgent (one of 1, 2, 3)' },
    ratio: { type: 'NUMBER', minimum: 0.5, maximum: 2, description: 'one of 0.5, 1, 2' },
    only: { type: 'INTEGER', minimum: 7, maximum: 7, description: 'one of 7' },
    mixed: { enum: ['1', 'two'], type: 'STRING' },
  });
});

test('object shapes Gemini refuses: no empty properties, required only names defined beside it, properties only on objects', () => {
  const out = convertToGeminiSchema({
    type: 'object',
    properties: {
      empty: { type: 'object', properties: {}, additionalProperties: false },
      loose: { type: 'object', required: ['a'] },
      odd: { type: 'string', properties: { a: { type: 'string' } }, required: ['a'] },
      bare: { properties: { a: { type: 'string' } } },
    },
    required: ['empty', 'gone'],
  });
  assert.deepEqual(out, {
    type: 'OBJECT',
    properties: {
      empty: { type: 'OBJECT' },
      loose: { type: 'OBJECT' },
      odd: { type: 'STRING' },
      bare: { type: 'OBJECT', properties: { a: { type: 'STRING' } } },
    },
    required: ['empty'],
  });
});

test('oneOf becomes anyOf, allOf is merged, and type lists become upper-case anyOf branches', () => {
  const out = convertToGeminiSchema({
    type: 'object',
    properties: {
      pet: { oneOf: [{ type: 'object', properties: { bark: { type: 'boolean' } } }, { type: 'object', properties: { purr: { type: 'boolean' } } }] },
      ref: { allOf: [{ $ref: '#/$defs/P' }], description: 'a point' },
      id: { type: ['string', 'integer'] },
    },
    $defs: { P: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] } },
  });
  assert.deepEqual(out.properties, {
    pet: { anyOf: [{ type: 'OBJECT', properties: { bark: { type: 'BOOLEAN' } } }, { type: 'OBJECT', properties: { purr: { type: 'BOOLEAN' } } }] },
    ref: { description: 'a point', type: 'OBJECT', properties: { x: { type: 'NUMBER' } }, required: ['x'] },
    id: { anyOf: [{ type: 'STRING' }, { type: 'INTEGER' }] },
  });
});

test('an array without items (any items, to JSON Schema) gets string items, which Gemini requires', () => {
  assert.deepEqual(convertToGeminiSchema({ type: 'array' }), { type: 'ARRAY', items: { type: 'STRING' } });
  assert.deepEqual(convertToGeminiSchema({ type: ['array', 'null'], items: {} }), { type: 'ARRAY', nullable: true, items: { type: 'STRING' } });
  assert.deepEqual(convertToGeminiSchema({ type: 'array', items: { type: 'integer' } }), { type: 'ARRAY', items: { type: 'INTEGER' } });
});
