import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bundle } from './extract-schemas.ts';

// A miniature components section using the OpenAPI features the real document uses.
const components = {
  Root: {
    type: 'object',
    'x-oaiMeta': { example: '{}' },
    discriminator: { propertyName: 'kind' },
    properties: {
      usage: { $ref: '#/components/schemas/Usage', nullable: true, description: 'may be null' },
      reason: { type: 'string', enum: ['stop', 'length'], nullable: true },
      example: { type: 'string', example: 'a property named like a dropped keyword' },
      model: { $ref: '#/components/schemas/Model' },
    },
    required: ['usage', 'reason'],
  },
  Usage: { type: 'object', properties: { total: { type: 'integer' }, detail: { $ref: '#/components/schemas/Detail' } } },
  Detail: { anyOf: [{ type: 'object' }, { type: 'null' }] },
  Model: { title: 'Model', properties: { id: { type: 'string' } }, required: ['id'] },
  Unused: { type: 'string' },
};

it('bundles every reached component into $defs and rewrites the refs', () => {
  const schema = bundle(components, 'Root');
  assert.deepEqual(Object.keys(schema.$defs as object), ['Detail', 'Model', 'Usage']);
  const properties = schema.properties as Record<string, any>;
  assert.deepEqual(properties.model, { $ref: '#/$defs/Model' });
  assert.equal((schema.$defs as any).Usage.properties.detail.$ref, '#/$defs/Detail');
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
});

it('turns nullable into a union with null', () => {
  const properties = bundle(components, 'Root').properties as Record<string, any>;
  assert.deepEqual(properties.usage, { anyOf: [{ $ref: '#/$defs/Usage' }, { type: 'null' }], description: 'may be null' });
  assert.deepEqual(properties.reason, { type: ['string', 'null'], enum: ['stop', 'length', null] });
});

it('drops OpenAPI-only keywords but keeps properties that share their names', () => {
  const schema = bundle(components, 'Root');
  assert.equal('x-oaiMeta' in schema, false);
  assert.equal('discriminator' in schema, false);
  const properties = schema.properties as Record<string, any>;
  assert.deepEqual(properties.example, { type: 'string' });
  assert.deepEqual(schema.required, ['usage', 'reason']);
});

it('types an untyped schema with properties as an object', () => {
  assert.equal((bundle(components, 'Root').$defs as any).Model.type, 'object');
});

it('fails loudly on a missing component', () => {
  assert.throws(() => bundle({ A: { $ref: '#/components/schemas/Nope' } }, 'A'), /missing component Nope/);
});
