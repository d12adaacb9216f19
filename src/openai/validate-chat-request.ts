import { Ajv } from 'ajv';
import { invalidRequest, shorten } from './api-error.ts';
import { chatRequestSchema } from './chat-request-schema.ts';
import { mapSchemaError } from './map-schema-error.ts';
import type { ChatCompletionRequest, ToolChoice } from './types.ts';

type Tool = NonNullable<ChatCompletionRequest['tools']>[number];
type NamedToolChoice = Extract<ToolChoice, { type: 'function' | 'custom' }>;

// Checks a parsed request body against the Chat Completions schema and the rules the schema
// cannot say. The first fault becomes a 400 whose `param` is the exact path of the field.

// verbose: errors carry the failing value and its schema, which OpenAI's wording needs; the
// extra fields are filled only when validation fails. strictNumbers: JSON.parse reads a number
// beyond the double range (1e309) as ±Infinity, which no field takes (JSON.stringify would send
// it upstream as null); `strict: false` alone would let it pass as a number, and as an integer.
const ajv = new Ajv({ allErrors: false, discriminator: true, strict: false, strictNumbers: true, allowUnionTypes: true, verbose: true });
const validateSchema = ajv.compile<ChatCompletionRequest>(chatRequestSchema);

export function validateChatRequest(body: unknown): ChatCompletionRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidRequest('The request body must be a JSON object.', null);
  }
  if (!validateSchema(body)) throw mapSchemaError(validateSchema.errors?.[0], body);
  checkRules(body);
  return body;
}

function checkRules(req: ChatCompletionRequest): void {
  req.messages.forEach((message, i) => {
    if (message.role === 'assistant' && message.content == null && !message.tool_calls && message.function_call == null && message.audio == null) {
      throw invalidRequest(`Missing required parameter: 'messages[${i}].content'.`, `messages[${i}].content`, 'missing_required_parameter');
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
    throw invalidRequest("The 'top_logprobs' parameter is only allowed when 'logprobs' is enabled.", 'top_logprobs');
  }
  if (req.stream_options != null && !req.stream) {
    throw invalidRequest("The 'stream_options' parameter is only allowed when 'stream' is enabled.", 'stream_options');
  }
  if (req.tool_choice !== undefined && req.tool_choice !== 'none' && req.tool_choice !== 'auto' && !req.tools) {
    throw invalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice');
  }
  if (req.parallel_tool_calls !== undefined && !req.tools) {
    throw invalidRequest("Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.", 'parallel_tool_calls');
  }
  const choice = req.tool_choice;
  if (req.tools && typeof choice === 'object' && choice.type !== 'allowed_tools') checkNamedTool(choice, req.tools);
}

/** A tool_choice that forces one tool must name a tool of that type in `tools`. */
function checkNamedTool(choice: NamedToolChoice, tools: Tool[]): void {
  const name = choice.type === 'function' ? choice.function.name : choice.custom.name;
  for (const tool of tools) {
    if (tool.type === choice.type && (tool.type === 'function' ? tool.function.name : tool.custom.name) === name) return;
  }
  const param = `tool_choice.${choice.type}.name`;
  throw invalidRequest(`Invalid value for '${param}': no ${choice.type} tool named '${shorten(name)}' is in 'tools'.`, param, 'invalid_value');
}
