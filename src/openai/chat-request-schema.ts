// JSON schema of the Chat Completions request, written from OpenAI's OpenAPI document
// (CreateChatCompletionRequest). Unknown fields are allowed: Iris passes them on upstream.
// Discriminators (role, part type) keep Ajv's errors pointed at the one branch that applies.

// `type` lists (not anyOf) so that Ajv reports the fault inside an array, not at the union.
const nullable = (schema: Record<string, unknown>): Record<string, unknown> =>
  ({ ...schema, type: [...[schema.type].flat(), 'null'] });

const textPart = {
  type: 'object',
  required: ['type', 'text'],
  properties: { type: { const: 'text' }, text: { type: 'string' } },
};

const imagePart = {
  type: 'object',
  required: ['type', 'image_url'],
  properties: {
    type: { const: 'image_url' },
    image_url: {
      type: 'object',
      required: ['url'],
      properties: {
        // No minLength: Ajv counts code points, a walk over every 1 MB data URL; an empty URL
        // fails the scheme check in validate-chat-request.ts instead.
        url: { type: 'string' },
        detail: { enum: ['auto', 'low', 'high'] },
      },
    },
  },
};

const refusalPart = {
  type: 'object',
  required: ['type', 'refusal'],
  properties: { type: { const: 'refusal' }, refusal: { type: 'string' } },
};

/** A string, or an array of at least one of the given content parts. */
const contentOf = (...parts: object[]) => ({
  type: ['string', 'array'],
  minItems: 1,
  items: { type: 'object', required: ['type'], discriminator: { propertyName: 'type' }, oneOf: parts },
});

const textContent = contentOf(textPart);

const toolCall = {
  type: 'object',
  required: ['id', 'type', 'function'],
  properties: {
    id: { type: 'string' },
    type: { const: 'function' },
    function: {
      type: 'object',
      required: ['name', 'arguments'],
      properties: { name: { type: 'string' }, arguments: { type: 'string' } },
    },
  },
};

const name = { type: 'string' };

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
        content: contentOf(textPart, imagePart),
        name,
      },
      required: ['role', 'content'],
    },
    {
      properties: {
        role: { const: 'assistant' },
        content: nullable(contentOf(textPart, refusalPart)),
        refusal: nullable({ type: 'string' }),
        name,
        tool_calls: { type: 'array', items: toolCall },
      },
      required: ['role'],
    },
    {
      properties: { role: { const: 'tool' }, content: textContent, tool_call_id: { type: 'string' } },
      required: ['role', 'content', 'tool_call_id'],
    },
  ],
};

const functionTool = {
  type: 'object',
  required: ['type', 'function'],
  properties: {
    type: { const: 'function' },
    function: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
        description: { type: 'string' },
        parameters: { type: 'object' },
        strict: nullable({ type: 'boolean' }),
      },
    },
  },
};

const toolChoice = {
  anyOf: [
    { enum: ['none', 'auto', 'required'] },
    {
      type: 'object',
      required: ['type', 'function'],
      properties: {
        type: { const: 'function' },
        function: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      },
    },
  ],
};

const responseFormat = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    { properties: { type: { const: 'text' } } },
    { properties: { type: { const: 'json_object' } } },
    {
      properties: {
        type: { const: 'json_schema' },
        json_schema: {
          type: 'object',
          required: ['name'],
          properties: {
            name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' },
            description: { type: 'string' },
            schema: { type: 'object' },
            strict: nullable({ type: 'boolean' }),
          },
        },
      },
      required: ['type', 'json_schema'],
    },
  ],
};

export const chatRequestSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: { type: 'array', minItems: 1, items: message },
    n: nullable({ type: 'integer', minimum: 1, maximum: 128 }),
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({ type: 'object', properties: { include_usage: { type: 'boolean' } } }),
    stop: nullable({ type: ['string', 'array'], minItems: 1, maxItems: 4, items: { type: 'string' } }),
    max_tokens: nullable({ type: 'integer', minimum: 1 }),
    max_completion_tokens: nullable({ type: 'integer', minimum: 1 }),
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
    top_k: nullable({ type: 'integer', minimum: 0 }),
    presence_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
    frequency_penalty: nullable({ type: 'number', minimum: -2, maximum: 2 }),
    logit_bias: nullable({
      type: 'object',
      propertyNames: { pattern: '^[0-9]+$' },
      additionalProperties: { type: 'number', minimum: -100, maximum: 100 },
    }),
    logprobs: nullable({ type: 'boolean' }),
    top_logprobs: nullable({ type: 'integer', minimum: 0, maximum: 20 }),
    seed: nullable({ type: 'integer' }),
    user: { type: 'string' },
    response_format: responseFormat,
    tools: { type: 'array', maxItems: 128, items: functionTool },
    tool_choice: toolChoice,
    parallel_tool_calls: { type: 'boolean' },
  },
} as const;
