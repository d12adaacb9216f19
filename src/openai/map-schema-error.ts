import type { ErrorObject } from 'ajv';
import { type ApiError, invalidRequest, shorten } from './api-error.ts';

// An Ajv error of the request schema → the 400 OpenAI answers for the same fault: its code
// (invalid_type, integer_below_min_value, empty_array, missing_required_parameter, …), its
// message wording, and `param` as the exact path. One mapping by keyword, none by field.
// Needs Ajv's `verbose` errors: the failing value (`data`) and the schema that holds the keyword.

type Schema = Record<string, unknown>;

export function mapSchemaError(error: ErrorObject | undefined, body: unknown): ApiError {
  if (!error) return invalidRequest('Invalid request body.');
  const params = error.params as Record<string, unknown>;
  const schema = (error.parentSchema ?? {}) as Schema;
  const data: unknown = error.data;
  if (error.keyword === 'required') {
    const param = toParamPath(error.instancePath, String(params.missingProperty), body);
    return invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  }
  const param = toParamPath(error.instancePath, undefined, body) || null;
  const where = param ?? 'body';
  switch (error.keyword) {
    case 'type':
      // ±Infinity (1e309 in the JSON) fails `type` (strictNumbers); where a decimal is expected,
      // it is a value beyond the field's range, as any other too large number.
      if (typeof data === 'number' && [schema.type].flat().includes('number')) {
        const below = data < 0;
        const limit = below ? schema.minimum : schema.maximum;
        if (typeof limit === 'number') return outOfRange(where, below, below ? '>=' : '<=', limit, data, schema, param);
      }
      return invalidType(where, expectedType(schema), data, param);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return outOfRange(where, error.keyword.endsWith('inimum'), params.comparison, params.limit, data, schema, param);
    case 'minItems':
      if ((data as unknown[]).length === 0) {
        return invalidRequest(`Invalid '${where}': empty array. Expected an array with minimum length ${params.limit}, but got an empty array instead.`, param, 'empty_array');
      }
      return invalidRequest(
        `Invalid '${where}': array too short. Expected an array with minimum length ${params.limit}, but got an array with length ${(data as unknown[]).length} instead.`,
        param,
        'array_below_min_length',
      );
    case 'maxItems':
      return invalidRequest(
        `Invalid '${where}': array too long. Expected an array with maximum length ${params.limit}, but got an array with length ${(data as unknown[]).length} instead.`,
        param,
        'array_above_max_length',
      );
    case 'maxProperties':
      return invalidRequest(
        `Invalid '${where}': too many properties. Expected an object with at most ${params.limit} properties, but got ${Object.keys(data as object).length} instead.`,
        param,
        'object_above_max_properties',
      );
    case 'minLength':
      if (data === '') {
        return invalidRequest(`Invalid '${where}': empty string. Expected a string with minimum length ${params.limit}, but got an empty string instead.`, param, 'empty_string');
      }
      return invalidRequest(
        `Invalid '${where}': string too short. Expected a string with minimum length ${params.limit}, but got a string with length ${codePoints(data)} instead.`,
        param,
        'string_below_min_length',
      );
    case 'maxLength':
      return invalidRequest(
        `Invalid '${where}': string too long. Expected a string with maximum length ${params.limit}, but got a string with length ${codePoints(data)} instead.`,
        param,
        'string_above_max_length',
      );
    case 'pattern':
      // Under propertyNames, the value is a key of the object at instancePath.
      if (error.propertyName !== undefined) {
        return invalidRequest(`Invalid property name in '${where}': '${error.propertyName}' does not match the pattern '${params.pattern}'.`, param, 'invalid_value');
      }
      return invalidRequest(`Invalid '${where}': string does not match pattern. Expected a string that matches the pattern '${params.pattern}'.`, param, 'invalid_value');
    case 'enum':
      return invalidValue(where, schema.enum as unknown[], data, param);
    case 'const':
      return invalidValue(where, [schema.const], data, param);
    case 'discriminator':
      return discriminatorError(params, schema, data, param);
    default:
      return invalidRequest(`Invalid '${where}': ${error.message ?? 'invalid value'}.`, param);
  }
}

function outOfRange(where: string, below: boolean, comparison: unknown, limit: unknown, value: unknown, schema: Schema, param: string | null): ApiError {
  const kind = [schema.type].flat().includes('integer') ? 'integer' : 'decimal';
  return invalidRequest(
    `Invalid '${where}': ${kind} ${below ? 'below minimum' : 'above maximum'} value. Expected a value ${comparison} ${limit}, but got ${String(value)} instead.`,
    param,
    `${kind}_${below ? 'below_min' : 'above_max'}_value`,
  );
}

/** The oneOf branch named by the tag was not found: the tag is missing, of the wrong type, or unknown. */
function discriminatorError(params: Record<string, unknown>, schema: Schema, data: unknown, base: string | null): ApiError {
  const tag = String(params.tag);
  const param = base ? `${base}.${tag}` : tag;
  if (params.tagValue === undefined) return invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  const allowed = (schema.oneOf as Schema[]).map((branch) => ((branch.properties as Record<string, Schema>)[tag]).const);
  return invalidValue(param, allowed, (data as Record<string, unknown>)[tag], param);
}

function invalidValue(where: string, allowed: unknown[], value: unknown, param: string | null): ApiError {
  if (typeof value !== typeof allowed[0]) return invalidType(where, `one of ${list(allowed, 'or')}`, value, param);
  return invalidRequest(`Invalid value: ${quote(value)}. Supported values are: ${list(allowed, 'and')}.`, param, 'invalid_value');
}

function invalidType(where: string, expected: string, value: unknown, param: string | null): ApiError {
  return invalidRequest(`Invalid type for '${where}': expected ${expected}, but got ${kindOf(value)} instead.`, param, 'invalid_type');
}

/** As OpenAI words it: "an integer", "one of a string or array of objects", "one of one of 'none', … or object". */
function expectedType(schema: Schema): string {
  const types = [schema.type].flat().filter((t) => t !== 'null') as string[];
  const several = types.length > 1;
  const names = types.map((type) => {
    switch (type) {
      case 'string': {
        const values = (schema.enum ?? (schema.then as Schema | undefined)?.enum) as unknown[] | undefined;
        return values ? `one of ${list(values, 'or')}` : 'a string';
      }
      case 'integer':
        return 'an integer';
      case 'number':
        return 'a decimal';
      case 'boolean':
        return 'a boolean';
      case 'object':
        return several ? 'object' : 'an object';
      case 'array':
        return `${several ? '' : 'an '}array of ${itemsName((schema.items as Schema | undefined)?.type)}`;
      default:
        return type;
    }
  });
  return several ? `one of ${names.join(' or ')}` : names[0]!;
}

function itemsName(type: unknown): string {
  const names: Record<string, string> = { object: 'objects', string: 'strings', integer: 'integers', number: 'decimals', boolean: 'booleans' };
  return names[String(type)] ?? 'values';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** 'a', 'b', and 'c' — OpenAI's list of values. */
function list(values: unknown[], conjunction: 'and' | 'or'): string {
  const quoted = values.map(quote);
  if (quoted.length < 3) return quoted.join(` ${conjunction} `);
  return `${quoted.slice(0, -1).join(', ')}, ${conjunction} ${quoted.at(-1)}`;
}

function quote(value: unknown): string {
  return shorten(typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value)));
}

function codePoints(value: unknown): number {
  return [...String(value)].length;
}

/**
 * `/messages/0/content/1/image_url/url` → `messages[0].content[1].image_url.url`. Given the
 * body, a numeric key of an object (a `logit_bias` token id) stays `.50256`, not `[50256]`.
 */
export function toParamPath(pointer: string, extra?: string, root?: unknown): string {
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) segments.push(extra);
  let path = '';
  let node: unknown = root;
  for (const seg of segments) {
    const index = /^\d+$/.test(seg) && (root === undefined || Array.isArray(node));
    path = index ? `${path}[${seg}]` : path ? `${path}.${seg}` : seg;
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined;
  }
  return path;
}
