// JSON schema of the Chat Completions request, written from OpenAI's OpenAPI document
// (CreateChatCompletionRequest). Unknown fields are allowed: Iris passes them on upstream.
// Discriminators (role, part type, tool type) keep Ajv's errors pointed at the one branch
// that applies, so a malformed value is reported inside the form the client meant.

// `type` lists (not anyOf) so that Ajv reports the fault inside an array, not at the union.
const nullable = (schema: Record<string, unknown>): Record<string, unknown> =>
  ({ ...schema, type: [...[schema.type].flat(), 'null'] });

/**
 * One of these strings, or null. The enum sits under `then` (as in tool_choice) so that a
 * wrong value is reported with the strings only, not with null among them.
 */
const nullableEnum = (...values: string[]) => ({ type: ['string', 'null'], if: { type: 'string' }, then: { enum: values } });

/** One of the given object forms, chosen by the value of its `type` member. */
const byType = (...forms: object[]) => ({ type: 'object', required: ['type'], discriminator: { propertyName: 'type' }, oneOf: forms });

/** OpenAI's tagged form: `{type: T, T: value}` (content parts, tools, named tool choices). */
const tagged = (type: string, value: object) => ({
  type: 'object',
  required: ['type', type],
  properties: { type: { const: type }, [type]: value },
});

const textPart = tagged('text', { type: 'string' });

const imagePart = tagged('image_url', {
  type: 'object',
  required: ['url'],
  properties: {
    // No minLength: Ajv counts code points, a walk over every 1 MB data URL; an empty URL
    // fails the scheme check in validate-chat-request.ts instead.
    url: { type: 'string' },
    // `original` (openai SDK 7: the image as sent, not scaled down) came after the OpenAPI copy in shared/reference.
    detail: { enum: ['auto', 'low', 'high', 'original'] },
  },
});

const audioPart = tagged('input_audio', {
  type: 'object',
  required: ['data', 'format'],
  properties: { data: { type: 'string' }, format: { enum: ['wav', 'mp3'] } },
});

const filePart = tagged('file', {
  type: 'object',
  properties: { filename: { type: 'string' }, file_data: { type: 'string' }, file_id: { type: 'string' } },
});

const refusalPart = tagged('refusal', { type: 'string' });

/** A string, or an array of at least one of the given content parts. */
const contentOf = (...parts: object[]) => ({ type: ['string', 'array'], minItems: 1, items: byType(...parts) });

const textContent = contentOf(textPart);

// OpenAI holds the names of messages and of their function calls to the alphabet of tool names
// (e.g. "Invalid 'messages[1].name': string does not match pattern. …", code invalid_value).
const name = { type: 'string', pattern: '^[a-zA-Z0-9_-]+$' };

const functionCall = {
  type: 'object',
  required: ['name', 'arguments'],
  properties: { name, arguments: { type: 'string' } },
};

const toolCall = byType(
  {
    required: ['id', 'type', 'function'],
    properties: { id: { type: 'string' }, type: { const: 'function' }, function: functionCall },
  },
  {
    required: ['id', 'type', 'custom'],
    properties: {
      id: { type: 'string' },
      type: { const: 'custom' },
      custom: { type: 'object', required: ['name', 'input'], properties: { name: { type: 'string' }, input: { type: 'string' } } },
    },
  },
);

const message = {
  type: 'object',
  required: ['role'],
  discriminator: { propertyName: 'role' },
  oneOf: [
    { properties: { role: { const: 'system' }, content: textContent, name }, required: ['role', 'content'] },
    { properties: { role: { const: 'developer' }, content: textContent, name }, required: ['role', 'content'] },
    {
      properties: {
        role: { const: 'user' },
        content: contentOf(textPart, imagePart, audioPart, filePart),
        name,
      },
      required: ['role', 'content'],
    },
    {
      properties: {
        role: { const: 'assistant' },
        // Required unless tool_calls, function_call or audio is given: checked in validate-chat-request.ts.
        content: nullable(contentOf(textPart, refusalPart)),
        refusal: nullable({ type: 'string' }),
        name,
        audio: nullable({ type: 'object', required: ['id'], properties: { id: { type: 'string' } } }),
        tool_calls: { type: 'array', minItems: 1, items: toolCall },
        function_call: nullable(functionCall),
      },
      required: ['role'],
    },
    {
      properties: { role: { const: 'tool' }, content: textContent, tool_call_id: { type: 'string' } },
      required: ['role', 'content', 'tool_call_id'],
    },
    // Deprecated, still accepted by OpenAI: the answer to a legacy `function_call`.
    {
      properties: { role: { const: 'function' }, content: nullable({ type: 'string' }), name },
      required: ['role', 'content', 'name'],
    },
  ],
};

// OpenAI's limits: names up to 64 characters (reported as string_above_max_length) of this alphabet.
const toolName = { ...name, maxLength: 64 };

const functionTool = tagged('function', {
  type: 'object',
  required: ['name'],
  properties: {
    name: toolName,
    description: { type: 'string' },
    parameters: { type: 'object' },
    strict: nullable({ type: 'boolean' }),
  },
});

const customTool = tagged('custom', {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    format: byType(
      { properties: { type: { const: 'text' } } },
      tagged('grammar', {
        type: 'object',
        required: ['definition', 'syntax'],
        properties: { definition: { type: 'string' }, syntax: { enum: ['lark', 'regex'] } },
      }),
    ),
  },
});

const namedTool = (type: string) => tagged(type, { type: 'object', required: ['name'], properties: { name: { type: 'string' } } });

// A string or an object, and the object's form by its `type`: errors come from the form meant.
const toolChoice = {
  type: ['string', 'object'],
  if: { type: 'string' },
  then: { enum: ['none', 'auto', 'required'] },
  else: byType(
    namedTool('function'),
    namedTool('custom'),
    {
      required: ['type', 'allowed_tools'],
      properties: {
        type: { const: 'allowed_tools' },
        allowed_tools: {
          type: 'object',
          required: ['mode', 'tools'],
          properties: { mode: { enum: ['auto', 'required'] }, tools: { type: 'array', items: { type: 'object' } } },
        },
      },
    },
  ),
};

const responseFormat = byType(
  { properties: { type: { const: 'text' } } },
  { properties: { type: { const: 'json_object' } } },
  {
    properties: {
      type: { const: 'json_schema' },
      json_schema: {
        type: 'object',
        required: ['name'],
        properties: {
          name: toolName,
          description: { type: 'string' },
          schema: { type: 'object' },
          strict: nullable({ type: 'boolean' }),
        },
      },
    },
    required: ['type', 'json_schema'],
  },
);

// OpenAI's Metadata: at most 16 pairs, keys up to 64 characters, string values up to 512.
const metadata = nullable({ type: 'object', maxProperties: 16, propertyNames: { maxLength: 64 }, additionalProperties: { type: 'string', maxLength: 512 } });

// Predicted output: its content as text or text parts, like a message's.
const prediction = nullable({ type: 'object', required: ['type', 'content'], properties: { type: { const: 'content' }, content: textContent } });

// The deprecated functions API, still taken by OpenAI.
const functions = { type: 'array', minItems: 1, maxItems: 128, items: { type: 'object', required: ['name'], properties: { name, description: { type: 'string' }, parameters: { type: 'object' } } } };
const functionCallChoice = {
  type: ['string', 'object'],
  if: { type: 'string' },
  then: { enum: ['none', 'auto'] },
  else: { required: ['name'], properties: { name: { type: 'string' } } },
};

// int64, as OpenAPI gives it; 2^63 is how JSON.parse reads 9223372036854775807.
const INT64 = 2 ** 63;

export const chatRequestSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: { type: 'array', minItems: 1, items: message },
    n: nullable({ type: 'integer', minimum: 1, maximum: 128 }),
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({ type: 'object', properties: { include_usage: { type: 'boolean' }, include_obfuscation: { type: 'boolean' } } }),
    stop: nullable({ type: ['string', 'array'], minItems: 1, maxItems: 4, items: { type: 'string' } }),
    max_tokens: nullable({ type: 'integer', minimum: 1 }),
    max_completion_tokens: nullable({ type: 'integer', minimum: 1 }),
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
    // -1 is vLLM's "no top-k".
    top_k: nullable({ type: 'integer', minimum: -1 }),
    presence_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
    frequency_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
    logit_bias: nullable({
      type: 'object',
      propertyNames: { pattern: '^[0-9]+$' },
      // Integers, as OpenAPI gives them: a decimal bias is refused, not rounded upstream.
      additionalProperties: { type: 'integer', minimum: -100, maximum: 100 },
    }),
    logprobs: nullable({ type: 'boolean' }),
    top_logprobs: nullable({ type: 'integer', minimum: 0, maximum: 20 }),
    seed: nullable({ type: 'integer', minimum: -INT64, maximum: INT64 }),
    user: { type: 'string' },
    response_format: responseFormat,
    tools: { type: 'array', minItems: 1, maxItems: 128, items: byType(functionTool, customTool) },
    tool_choice: toolChoice,
    parallel_tool_calls: { type: 'boolean' },
    reasoning_effort: nullableEnum('none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'),
    verbosity: nullableEnum('low', 'medium', 'high'),
    // The rest of OpenAI's fields, checked for type and OpenAI's own limits. Values that some
    // OpenAI-compatible servers extend (service_tier's, modalities', audio formats) are not
    // held to OpenAI's list.
    store: nullable({ type: 'boolean' }),
    metadata,
    // 128 in the openai SDK 7's description; the OpenAPI copy in shared/reference still says 64.
    safety_identifier: nullable({ type: 'string', maxLength: 128 }),
    prompt_cache_key: nullable({ type: 'string' }),
    service_tier: nullable({ type: 'string' }),
    modalities: nullable({ type: 'array', items: { type: 'string' } }),
    audio: nullable({ type: 'object', required: ['voice', 'format'], properties: { format: { type: 'string' } } }),
    prediction,
    web_search_options: { type: 'object' },
    functions,
    function_call: functionCallChoice,
  },
} as const;
