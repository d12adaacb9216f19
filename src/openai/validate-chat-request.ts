import { Ajv, type ErrorObject } from 'ajv';
import { ApiError, invalidRequest } from './api-error.ts';
import { chatRequestSchema } from './chat-request-schema.ts';
import type { ChatCompletionRequest } from './types.ts';

// Checks a parsed request body against the Chat Completions schema and the rules the schema
// cannot say. The first fault becomes a 400 whose `param` is the exact path of the field.

const ajv = new Ajv({ allErrors: false, discriminator: true, strict: false, allowUnionTypes: true });
const validateSchema = ajv.compile<ChatCompletionRequest>(chatRequestSchema);

export function validateChatRequest(body: unknown): ChatCompletionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object.', null);
  }
  if (!validateSchema(body)) throw schemaError(validateSchema.errors?.[0], body);
  checkRules(body);
  return body;
}

function checkRules(req: ChatCompletionRequest): void {
  req.messages.forEach((message, i) => {
    if (message.role === 'assistant' && (message.content === undefined || message.content === null) && !message.tool_calls?.length) {
      throw invalidRequest(`Invalid 'messages[${i}]': an assistant message needs 'content' or 'tool_calls'.`, `messages[${i}].content`);
    }
    if (!Array.isArray(message.content)) return;
    message.content.forEach((part, j) => {
      if (part.type !== 'image_url') return;
      const url = part.image_url.url;
      if (!/^(https?:\/\/|data:)/i.test(url)) {
        throw invalidRequest(
          `Invalid 'messages[${i}].content[${j}].image_url.url': expected an http(s) URL or a base64 data URL.`,
          `messages[${i}].content[${j}].image_url.url`,
          'invalid_image_url',
        );
      }
    });
  });
  if (req.top_logprobs != null && !req.logprobs) {
    throw invalidRequest("'top_logprobs' requires 'logprobs' to be true.", 'top_logprobs');
  }
  if (req.stream_options != null && !req.stream) {
    throw invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  if (req.tool_choice !== undefined && req.tool_choice !== 'none' && req.tool_choice !== 'auto' && !req.tools?.length) {
    throw invalidRequest("'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
  }
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

function schemaError(error: ErrorObject | undefined, body: unknown): ApiError {
  if (!error) return invalidRequest('Invalid request body.');
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    const param = toParamPath(error.instancePath, String(params.missingProperty), body);
    return invalidRequest(`Missing required parameter: '${param}'.`, param);
  }
  const param = toParamPath(error.instancePath, undefined, body) || null;
  const where = param ? `'${param}'` : 'request body';
  switch (error.keyword) {
    case 'type':
    case 'nullable':
      return invalidRequest(`Invalid type for ${where}: expected ${describeType(String(params.type))}.`, param);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return invalidRequest(`Invalid value for ${where}: must be ${params.comparison} ${params.limit}.`, param, 'invalid_value');
    case 'enum':
      return invalidRequest(
        `Invalid value for ${where}: expected one of ${(params.allowedValues as unknown[]).map((v) => `'${v}'`).join(', ')}.`,
        param,
        'invalid_value',
      );
    case 'const':
      return invalidRequest(`Invalid value for ${where}: expected '${params.allowedValue}'.`, param, 'invalid_value');
    case 'discriminator':
      return discriminatorError(error, param);
    case 'minItems':
      return invalidRequest(`Invalid ${where}: expected at least ${params.limit} item(s).`, param);
    case 'maxItems':
      return invalidRequest(`Invalid ${where}: expected at most ${params.limit} item(s).`, param);
    case 'minLength':
      return invalidRequest(`Invalid ${where}: must not be empty.`, param);
    case 'pattern':
      return invalidRequest(`Invalid value for ${where}: must match ${params.pattern}.`, param, 'invalid_value');
    case 'propertyNames':
      return invalidRequest(`Invalid ${where}: keys must be token ids (integers as strings).`, param);
    case 'anyOf':
    case 'oneOf':
      return invalidRequest(`Invalid value for ${where}: ${anyOfHint(param)}.`, param);
    default:
      return invalidRequest(`Invalid ${where}: ${error.message ?? 'invalid value'}.`, param);
  }
}

function discriminatorError(error: ErrorObject, base: string | null): ApiError {
  const { tag, tagValue } = error.params as { tag: string; tagValue: unknown };
  const param = base ? `${base}.${tag}` : tag;
  const allowed = tag === 'role' ? "'system', 'developer', 'user', 'assistant', 'tool'" : tag === 'type' ? 'a supported type' : 'a supported value';
  if (tagValue === undefined) return invalidRequest(`Missing required parameter: '${param}'.`, param);
  if (tagValue === 'image_url') {
    return invalidRequest(`Invalid '${param}': image URLs are only allowed in messages with role 'user'.`, param, 'invalid_value');
  }
  return invalidRequest(`Invalid value for '${param}': ${JSON.stringify(tagValue)} is not ${allowed}.`, param, 'invalid_value');
}

function anyOfHint(param: string | null): string {
  if (param === null) return 'invalid value';
  if (/\.content$/.test(param)) return 'expected a string or an array of content parts';
  if (param === 'stop') return 'expected a string or an array of up to 4 strings';
  if (param === 'tool_choice') return "expected 'none', 'auto', 'required' or {type: 'function', function: {name}}";
  return 'it matches none of the allowed forms';
}

function describeType(type: string): string {
  const names: Record<string, string> = { integer: 'an integer', number: 'a number', string: 'a string', boolean: 'a boolean', object: 'an object', array: 'an array' };
  return type.split(',').map((t) => names[t] ?? t).join(' or ');
}
