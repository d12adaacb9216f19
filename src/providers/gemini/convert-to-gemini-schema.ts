import { invalidRequest } from '../../openai/api-error.ts';

// JSON Schema (as OpenAI clients write it for tools and json_schema) → the OpenAPI-subset
// Schema Gemini takes in `responseSchema` and function `parameters`. Gemini rejects fields it
// does not know (e.g. additionalProperties, $schema), so only the known ones are kept, and
// `type: ["string","null"]` becomes `type: "string", nullable: true`. It also rejects shapes
// JSON Schema allows (a 400 naming the field): formats other than its own, an ARRAY without
// items, an empty `properties`, `required` naming a property not defined beside it, `properties` on a
// non-object. Those are cut down to what Gemini takes; a number enum (Gemini's enums are
// strings) becomes a bounded number with its values described.

const KEPT = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering',
  'default', 'items', 'minimum', 'maximum',
]);

/** The only formats Gemini's Schema takes, by type ("only 'enum' and 'date-time' are supported for STRING type"). */
const FORMATS: Record<string, string[]> = { STRING: ['enum', 'date-time'], NUMBER: ['float', 'double'], INTEGER: ['int32', 'int64'] };

/**
 * The most schema nodes one conversion writes. $refs are inlined, so a small schema whose
 * definitions each point twice at the next doubles at every level (2 KB became 2^19 nodes and
 * seconds of blocked event loop): past this, the client hears so at once.
 */
const MAX_NODES = 20_000;

interface Budget {
  nodes: number;
}

export function convertToGeminiSchema(schema: unknown): Record<string, unknown> {
  return convert(schema, undefined, { nodes: MAX_NODES });
}

function convert(schema: unknown, defs: Record<string, unknown> | undefined, budget: Budget): Record<string, unknown> {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return {};
  if (--budget.nodes < 0) {
    throw invalidRequest(`The schema is too large for Gemini once its $refs are inlined (more than ${MAX_NODES} nodes).`, null, 'schema_too_large');
  }
  const source = schema as Record<string, unknown>;
  const definitions = defs ?? { ...(source.$defs as object), ...(source.definitions as object) };
  // Local references are inlined: Gemini's Schema has no $ref (recursion is cut at one level).
  if (typeof source.$ref === 'string') {
    const name = source.$ref.replace(/^#\/(\$defs|definitions)\//, '');
    const target = definitions[name];
    return target ? convert(target, { ...definitions, [name]: undefined }, budget) : {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'oneOf' && Array.isArray(value) && !source.anyOf) {
      // Gemini has no oneOf; anyOf is the nearest it has (it admits what oneOf admits).
      union(out, value, definitions, budget);
    } else if (!KEPT.has(key)) {
      continue;
    } else if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      if (types.length !== value.length) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else if (types.length > 1) out.anyOf = types.map((t) => ({ type: String(t).toUpperCase() }));
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, definitions, budget)]));
    } else if (key === 'items') {
      out.items = convert(value, definitions, budget);
    } else if (key === 'anyOf' && Array.isArray(value)) {
      union(out, value, definitions, budget);
    } else if (key === 'enum' && Array.isArray(value)) {
      out.enum = value.filter((v) => v !== null);
    } else {
      out[key] = value;
    }
  }
  // allOf (as pydantic writes a described $ref) is merged into one schema: Gemini has no allOf.
  if (Array.isArray(source.allOf)) {
    for (const part of source.allOf) merge(out, convert(part, definitions, budget));
  }
  if (source.const !== undefined) out.enum = [source.const];
  if (Array.isArray(out.enum) && !numericEnum(out)) out.enum = out.enum.map(String);
  // Gemini enums hold strings only.
  if (out.enum) out.type = 'string';
  if (typeof out.type === 'string') out.type = out.type.toUpperCase();
  else if (out.properties && !out.anyOf) out.type = 'OBJECT';
  // Gemini wants an ARRAY's items ("items: missing field"), which JSON Schema may leave out (any
  // items): strings are the commonest, and any value can be written as one.
  if (out.type === 'ARRAY' && !(out.items && Object.keys(out.items).length)) out.items = { type: 'STRING' };
  if (out.format !== undefined && !FORMATS[out.type as string]?.includes(out.format as string)) delete out.format;
  if (out.type !== 'OBJECT' || (out.properties && Object.keys(out.properties).length === 0)) delete out.properties;
  if (Array.isArray(out.required)) {
    const defined = out.properties as Record<string, unknown> | undefined;
    const required = defined ? out.required.filter((name) => Object.hasOwn(defined, String(name))) : [];
    if (required.length) out.required = required;
    else delete out.required;
  } else {
    delete out.required;
  }
  return out;
}

/**
 * Gemini's enum holds strings only, and a number enum sent as strings comes back as strings
 * ("2" for 2), which the client's own schema refuses. A number enum stays a number: bounded by
 * its least and greatest value, its values named in the description for the model to keep to.
 * False (nothing done) for an enum that is not all numbers.
 */
function numericEnum(out: Record<string, unknown>): boolean {
  const values = out.enum as unknown[];
  if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) return false;
  const numbers = values as number[];
  delete out.enum;
  const declared = typeof out.type === 'string' ? out.type.toLowerCase() : undefined;
  out.type = declared === 'number' || declared === 'integer' ? declared : numbers.every(Number.isInteger) ? 'integer' : 'number';
  out.minimum = Math.min(...numbers);
  out.maximum = Math.max(...numbers);
  const allowed = `one of ${numbers.join(', ')}`;
  out.description = typeof out.description === 'string' && out.description ? `${out.description} (${allowed})` : allowed;
  return true;
}

/** anyOf/oneOf branches; a null branch makes the schema nullable, and a single branch left is inlined. */
function union(out: Record<string, unknown>, value: unknown[], definitions: Record<string, unknown>, budget: Budget): void {
  const branches = value.filter((v) => (v as { type?: unknown })?.type !== 'null');
  if (branches.length !== value.length) out.nullable = true;
  if (branches.length === 1) Object.assign(out, convert(branches[0], definitions, budget));
  else out.anyOf = branches.map((v) => convert(v, definitions, budget));
}

/** One allOf part into the schema: properties and required are joined; the schema's own keys win. */
function merge(out: Record<string, unknown>, part: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(part)) {
    if (key === 'properties') out.properties = { ...(value as object), ...(out.properties as object | undefined) };
    else if (key === 'required') out.required = [...new Set([...((out.required as unknown[] | undefined) ?? []), ...(value as unknown[])])];
    else if (!(key in out)) out[key] = value;
  }
}
