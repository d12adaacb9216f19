// Assertions that a body is exactly what OpenAI's spec allows, using the JSON schemas in
// test/schemas (generated from OpenAI's OpenAPI document by test/schemas/extract-schemas.ts).
// Each assertion throws one AssertionError listing every violation with its instance path,
// so a failing test shows all that is wrong at once.

import { AssertionError } from 'node:assert';
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type OpenAISchemaName =
  | 'CreateChatCompletionResponse'
  | 'CreateChatCompletionStreamResponse'
  | 'ErrorResponse'
  | 'ListModelsResponse';

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats.default(ajv);
// The spec's own format for Unix timestamps in seconds (`created`, `expires_at`).
ajv.addFormat('unixtime', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= 0 });

const validators = new Map<OpenAISchemaName, ValidateFunction>();

function validator(name: OpenAISchemaName): ValidateFunction {
  let validate = validators.get(name);
  if (validate === undefined) {
    const file = new URL(`../schemas/${name}.json`, import.meta.url);
    validate = ajv.compile(JSON.parse(readFileSync(file, 'utf8')) as object);
    validators.set(name, validate);
  }
  return validate;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(root)' : error.instancePath;
  const extra =
    error.keyword === 'enum'
      ? ` ${JSON.stringify(error.params.allowedValues)}`
      : error.keyword === 'additionalProperties'
        ? ` (${String(error.params.additionalProperty)})`
        : '';
  return `${where} ${error.message ?? error.keyword}${extra} [${error.schemaPath}]`;
}

/** Every violation of the named schema, one line each; empty when the value conforms. */
export function schemaViolations(name: OpenAISchemaName, value: unknown): string[] {
  const validate = validator(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(describe);
}

function assertSchema(name: OpenAISchemaName, value: unknown): void {
  const violations = schemaViolations(name, value);
  if (violations.length === 0) return;
  throw new AssertionError({
    message: `${name}: ${violations.length} violation(s)\n  ${violations.join('\n  ')}\nvalue: ${preview(value)}`,
    actual: value,
    expected: name,
    operator: 'matchesSchema',
  });
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

/** A non-streamed `chat.completion` body. */
export function assertChatCompletion(body: unknown): void {
  assertSchema('CreateChatCompletionResponse', body);
}

/** One parsed `data:` event of a stream (`chat.completion.chunk`), not the `[DONE]` marker. */
export function assertChatCompletionChunk(chunk: unknown): void {
  assertSchema('CreateChatCompletionStreamResponse', chunk);
}

/** An error body `{ error: { message, type, param, code } }`. */
export function assertErrorResponse(body: unknown): void {
  assertSchema('ErrorResponse', body);
}

/** The `GET /v1/models` body `{ object: 'list', data: Model[] }`. */
export function assertModelList(body: unknown): void {
  assertSchema('ListModelsResponse', body);
}
