import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { ApiError } from '../../openai/api-error.ts';
import { fromClientJson } from '../../json/stringify-client-json.ts';
import type { ResponseFormat } from '../../openai/types.ts';

// `response_format: json_schema`. The engine has one document to give: `answer` (the prose) and
// `images` (the findings). It follows the client's schema where that document can: a strict
// schema (additionalProperties: false at every level, as OpenAI's strict mode requires) gets
// just the fields it names, at every level. A schema that asks for anything else (a `count`
// field, a different shape, a shorter answer) is a 400, never JSON that breaks the schema.

type Schema = Record<string, unknown>;

const PARAM = 'response_format.json_schema.schema';
const FIELDS = ['answer', 'images'];
const SHAPE =
  'The Image-Recognition engine fills a JSON schema only with what it returns: an object with "answer" (string: the answer in words) ' +
  'and "images" (array: for each image its index, format, width, height, objects, detections, people, faces, text, colours…), ' +
  'or any part of them. Use response_format json_object to see them as they are.';

// OpenAI's Structured Outputs speak JSON Schema 2020-12. Formats are not checked (the engine's
// own fields carry none), unknown keywords are ignored rather than refused. addUsedSchema off:
// two clients' schemas with the same $id must not collide in Ajv's registry.
const newAjv = () => new Ajv2020({ strict: false, validateFormats: false, allErrors: false, logger: false, addUsedSchema: false });
let ajv = newAjv();
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 64;

/**
 * Schemas are compiled and run on the main thread, against text read off the client's own image:
 * a `pattern` such as (a|a)+$ would take seconds per character (ReDoS), so regular expressions
 * are refused, and so are schemas too large to be an answer's shape.
 */
const MAX_SCHEMA_CHARS = 64 * 1024;
const REGEX_KEYWORDS = new Set(['pattern', 'patternProperties']);

/** Before any image is analysed: refuses a schema that cannot be valid JSON Schema or that requires fields the engine has no value for. */
export function checkResponseSchema(format: ResponseFormat | undefined): void {
  const schema = schemaOf(format);
  if (schema) fromClientJson(() => checkSchema(schema));
}

function checkSchema(schema: Schema): void {
  if (JSON.stringify(schema).length > MAX_SCHEMA_CHARS) throw refused(`it is larger than ${MAX_SCHEMA_CHARS / 1024} KB`);
  const keyword = regexKeyword(schema, 0);
  if (keyword) throw refused(`it uses ${keyword}, and the engine does not run the client's regular expressions`);
  validatorFor(schema);
  if (schema.type !== undefined && schema.type !== 'object') throw refused(`it asks for ${JSON.stringify(schema.type)}, not an object`);
  const required = Array.isArray(schema.required) ? (schema.required as unknown[]) : [];
  const unknown = required.filter((name) => !FIELDS.includes(String(name)));
  if (unknown.length) throw refused(`it requires ${unknown.map((n) => JSON.stringify(n)).join(', ')}`);
}

/** The findings document as JSON text that validates against the request's schema, or a 400. */
export function answerForSchema(doc: Record<string, unknown>, format: ResponseFormat | undefined): string {
  const schema = schemaOf(format);
  if (!schema) return JSON.stringify(doc);
  const validate = validatorFor(schema);
  const fitted = project(doc, schema, schema);
  if (!validate(fitted)) throw refused(`the answer would not validate: ${describe(validate.errors?.[0])}`);
  return JSON.stringify(fitted);
}

/** Keywords whose value maps names (of fields, of definitions) to schemas: its keys are not keywords. */
const NAME_MAPS = new Set(['properties', '$defs', 'definitions', 'dependentSchemas']);

/** The first regular-expression keyword anywhere in the schema, or null. */
function regexKeyword(node: unknown, depth: number, namesOnly = false): string | null {
  if (!node || typeof node !== 'object' || depth > 64) return null;
  for (const [key, value] of Object.entries(node)) {
    if (!namesOnly && !Array.isArray(node) && REGEX_KEYWORDS.has(key)) return `"${key}"`;
    const found = regexKeyword(value, depth + 1, !namesOnly && NAME_MAPS.has(key));
    if (found) return found;
  }
  return null;
}

function schemaOf(format: ResponseFormat | undefined): Schema | null {
  if (format?.type !== 'json_schema') return null;
  const schema = format.json_schema?.schema;
  return schema && typeof schema === 'object' ? schema : null;
}

function validatorFor(schema: Schema): ValidateFunction {
  // `$schema` naming another draft would make Ajv look for a meta-schema it does not have.
  const { $schema: _draft, ...rest } = schema;
  const key = JSON.stringify(rest);
  const cached = compiled.get(key);
  if (cached) return cached;
  // A few schemas per client, but never an unbounded store of what clients send. Ajv keeps
  // every schema it compiled (and its code) in the instance's shared scope, which
  // removeSchema() does not clear: about 3 KB per schema, for ever. So when the cache is full
  // the instance goes with it, and what is still in use is compiled again on a fresh one.
  if (compiled.size >= MAX_COMPILED) {
    compiled.clear();
    ajv = newAjv();
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(rest);
  } catch (err) {
    ajv.removeSchema(rest);
    throw new ApiError(400, `Invalid schema for response_format: ${err instanceof Error ? err.message : String(err)}`, { type: 'invalid_request_error', param: PARAM, code: 'invalid_json_schema' });
  }
  compiled.set(key, validate);
  return validate;
}

/** `value` with only the fields `schema` allows where it allows no others (strict mode), recursively. */
function project(value: unknown, schema: unknown, root: Schema, depth = 0): unknown {
  if (!schema || typeof schema !== 'object' || depth > 32) return value;
  const s = schema as Schema;
  if (typeof s.$ref === 'string') return project(value, resolve(s.$ref, root), root, depth + 1);
  const branches = (s.anyOf ?? s.oneOf) as unknown[] | undefined;
  if (Array.isArray(branches)) {
    const branch = branches.find((b) => typeMatches(value, b, root));
    return branch === undefined ? value : project(value, branch, root, depth + 1);
  }
  if (Array.isArray(value)) return s.items && typeof s.items === 'object' ? value.map((v) => project(v, s.items, root, depth + 1)) : value;
  if (value === null || typeof value !== 'object') return value;
  const properties = (s.properties ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key in properties) out[key] = project(v, properties[key], root, depth + 1);
    else if (s.additionalProperties !== false) out[key] = v;
  }
  return out;
}

function typeMatches(value: unknown, schema: unknown, root: Schema): boolean {
  if (!schema || typeof schema !== 'object') return schema === true;
  const s = typeof (schema as Schema).$ref === 'string' ? (resolve((schema as Schema).$ref as string, root) as Schema) : (schema as Schema);
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value === 'number' ? 'number' : typeof value;
  const allowed = ([] as unknown[]).concat(s?.type ?? []);
  if (!allowed.length) return true;
  return allowed.includes(type) || (type === 'number' && allowed.includes('integer') && Number.isInteger(value));
}

/** A local `#/…` reference; anything else is left to the validator. */
function resolve(ref: string, root: Schema): unknown {
  if (!ref.startsWith('#')) return undefined;
  let at: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    if (!at || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return at;
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'it does not match';
  return `${error.instancePath || '(root)'} ${error.message ?? error.keyword}`;
}

function refused(why: string): ApiError {
  return new ApiError(400, `${SHAPE} This schema cannot be filled that way: ${why}.`, { type: 'invalid_request_error', param: PARAM, code: 'unsupported_value' });
}
