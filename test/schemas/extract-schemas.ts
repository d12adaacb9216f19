// Extracts the response schemas Iris is tested against from OpenAI's OpenAPI document and
// writes each as a self-contained JSON Schema (draft 2020-12) beside this file.
//
//   node test/schemas/extract-schemas.ts [path/to/openai-openapi.yaml]
//
// The default input is the copy in /work/shared/reference (OpenAPI 3.1.0, info.version 2.3.0,
// openai/openai-openapi@f85dbe22). The generated JSON files are committed; this script is
// only needed again when the spec is updated.
//
// What the conversion does, and why:
// - every `#/components/schemas/X` a root reaches is copied into the output's `$defs` and the
//   `$ref` rewritten to `#/$defs/X`, so each file stands alone;
// - OpenAPI 3.0's `nullable: true` (still used in parts of the 3.1 document) becomes a JSON
//   Schema union with null: `type: [T, "null"]` (plus `null` in an `enum`), or
//   `anyOf: [<schema>, {type: "null"}]` where there is no `type` to widen (e.g. beside `$ref`);
// - annotations that are not JSON Schema keywords (`x-*`, `discriminator`, `example`) are
//   dropped, since Ajv's strict mode rejects unknown keywords;
// - a schema with `properties`/`required` but no `type` or combinator (the spec's `Model`)
//   gets `type: "object"`: OpenAPI tooling reads it as an object, and without it any
//   non-object would pass;
// - everything else (`required`, `enum`, `anyOf`/`oneOf`/`allOf`, `additionalProperties`,
//   `format`, `default`, `description`, `deprecated`) is kept as the spec has it.

import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export const ROOTS = [
  'CreateChatCompletionResponse',
  'CreateChatCompletionStreamResponse',
  'ErrorResponse',
  'ListModelsResponse',
] as const;

const COMPONENT_PREFIX = '#/components/schemas/';
const DROPPED_KEYS = new Set(['discriminator', 'example', 'examples']);
const COMBINATORS = ['anyOf', 'oneOf', 'allOf', '$ref', 'not', 'if'];

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Converts one schema node (recursively), recording every component it references. */
function convert(node: Json, refs: Set<string>): Json {
  if (Array.isArray(node)) return node.map((item) => convert(item, refs));
  if (!isObject(node)) return node;

  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-') || DROPPED_KEYS.has(key) || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      if (!value.startsWith(COMPONENT_PREFIX)) throw new Error(`unsupported $ref ${value}`);
      const name = value.slice(COMPONENT_PREFIX.length);
      refs.add(name);
      out.$ref = `#/$defs/${name}`;
      continue;
    }
    // Keys of `properties`/`$defs`/`patternProperties` are names, not keywords: keep them all.
    if ((key === 'properties' || key === 'patternProperties') && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, convert(sub, refs)]));
      continue;
    }
    out[key] = convert(value, refs);
  }

  if (('properties' in out || 'required' in out) && !('type' in out) && !COMBINATORS.some((k) => k in out)) {
    out.type = 'object';
  }
  return node.nullable === true ? makeNullable(out) : out;
}

function makeNullable(schema: JsonObject): JsonObject {
  const type = schema.type;
  if (typeof type === 'string' || Array.isArray(type)) {
    const types = Array.isArray(type) ? type : [type];
    const widened: JsonObject = { ...schema, type: types.includes('null') ? types : [...types, 'null'] };
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) widened.enum = [...schema.enum, null];
    return widened;
  }
  // No type to widen (a `$ref` or combinator): keep annotations outside, the schema inside.
  const { description, title, ...rest } = schema;
  const wrapped: JsonObject = { anyOf: [rest, { type: 'null' }] };
  if (description !== undefined) wrapped.description = description;
  if (title !== undefined) wrapped.title = title;
  return wrapped;
}

/** Builds a self-contained schema for one component, with every reached component in `$defs`. */
export function bundle(components: JsonObject, root: string): JsonObject {
  const rootNode = components[root];
  if (!isObject(rootNode)) throw new Error(`component ${root} not found`);
  const refs = new Set<string>();
  const converted = convert(rootNode, refs) as JsonObject;

  const defs: JsonObject = {};
  const pending = [...refs];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (name in defs) continue;
    const node = components[name];
    if (node === undefined) throw new Error(`${root} reaches missing component ${name}`);
    const found = new Set<string>();
    defs[name] = convert(node, found);
    for (const next of found) if (!(next in defs)) pending.push(next);
  }

  const sortedDefs = Object.fromEntries(Object.keys(defs).sort().map((name) => [name, defs[name]]));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: root,
    ...converted,
    ...(Object.keys(sortedDefs).length > 0 ? { $defs: sortedDefs } : {}),
  };
}

export function loadComponents(yamlPath: string): JsonObject {
  const document = parse(readFileSync(yamlPath, 'utf8'), { maxAliasCount: -1 }) as JsonObject;
  const components = document.components;
  if (!isObject(components) || !isObject(components.schemas)) throw new Error('no components.schemas');
  return components.schemas;
}

function main(): void {
  const here = dirname(fileURLToPath(import.meta.url));
  const yamlPath = process.argv[2] ?? '/work/shared/reference/openai-openapi.yaml';
  const components = loadComponents(yamlPath);
  for (const root of ROOTS) {
    const schema = bundle(components, root);
    const file = join(here, `${root}.json`);
    writeFileSync(file, JSON.stringify(schema, null, 2) + '\n');
    const defs = isObject(schema.$defs) ? Object.keys(schema.$defs) : [];
    console.log(`${file}: $defs ${defs.join(', ') || '(none)'}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
