import { geminiVersion } from './gemini-model-version.ts';

// JSON Schema as OpenAI clients write it → the JSON Schema Gemini takes as it is in
// `responseJsonSchema` and `parametersJsonSchema` (Gemini 2.5 and later). Those fields take
// $ref/$defs, prefixItems, additionalProperties and number enums, which the OpenAPI-subset
// `responseSchema`/`parameters` cannot say (convert-to-gemini-schema.ts cuts them down, and
// Gemini refuses an OBJECT there without properties, as a record or a free-form object is).
// @google/genai's own calls send JSON Schema there unchanged (an MCP tool's inputSchema; a
// response schema with $schema). Two things are rewritten, as its doc for responseJsonSchema
// asks: a `$ref` keeps only the `$` keywords beside it, and a draft-07 tuple (`items` as a
// list) becomes `prefixItems`.

/** Whether the model takes JSON Schema as it is: Gemini 2.5 and later, and ids that name no generation (current aliases). */
export function takesJsonSchema(model: string): boolean {
  const version = geminiVersion(model);
  return version === undefined || version.major > 2 || (version.major === 2 && version.minor >= 5);
}

const SCHEMA_MAPS = ['properties', '$defs', 'definitions', 'patternProperties'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_VALUES = ['items', 'additionalProperties', 'not', 'contains', 'additionalItems'];

export function toGeminiJsonSchema(schema: unknown): unknown {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const source = schema as Record<string, unknown>;
  if (typeof source.$ref === 'string') {
    return Object.fromEntries(Object.entries(source).filter(([key]) => key.startsWith('$')).map(([key, value]) => [key, key === '$defs' ? mapValues(value) : value]));
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (SCHEMA_MAPS.includes(key)) out[key] = mapValues(value);
    else if (SCHEMA_LISTS.includes(key) && Array.isArray(value)) out[key] = value.map(toGeminiJsonSchema);
    else if (key === 'items' && Array.isArray(value)) out.prefixItems = value.map(toGeminiJsonSchema);
    else if (SCHEMA_VALUES.includes(key)) out[key] = toGeminiJsonSchema(value);
    else out[key] = value;
  }
  // A draft-07 tuple's further items, once its list is prefixItems.
  if (Array.isArray(source.items)) {
    delete out.additionalItems;
    if (source.additionalItems !== undefined) out.items = toGeminiJsonSchema(source.additionalItems);
  }
  return out;
}

function mapValues(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([key, schema]) => [key, toGeminiJsonSchema(schema)]));
}
