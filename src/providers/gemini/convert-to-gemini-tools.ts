import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import { allowedTools } from '../upstream/allowed-tools.ts';
import { convertToGeminiSchema } from './convert-to-gemini-schema.ts';
import { takesJsonSchema, toGeminiJsonSchema } from './to-gemini-json-schema.ts';
import type { GeminiRequest } from './gemini-wire.ts';

// OpenAI `tools` / `tool_choice` → Gemini `tools[].functionDeclarations` / `toolConfig`. Gemini
// 2.5 and later get each function's JSON Schema as it is (to-gemini-json-schema.ts).

export function convertToGeminiTools(request: ChatCompletionRequest): Pick<GeminiRequest, 'tools' | 'toolConfig'> {
  const out: Pick<GeminiRequest, 'tools' | 'toolConfig'> = {};
  const allowed = allowedTools(request);
  const jsonSchema = takesJsonSchema(request.model);
  if (request.tools?.length) {
    out.tools = [{
      functionDeclarations: request.tools.flatMap((tool, i) => {
        if (tool.type !== 'function') throw invalidRequest(`Tool type "${String(tool.type)}" is not supported`, `tools[${i}].type`);
        if (allowed && !allowed.names.has(tool.function.name)) return [];
        const { parameters } = tool.function;
        if (jsonSchema) {
          // A function without arguments has no schema to send.
          const empty = !parameters || (parameters.type === 'object' && Object.keys(parameters.properties ?? {}).length === 0 && !parameters.additionalProperties);
          return [{
            name: tool.function.name,
            ...(tool.function.description ? { description: tool.function.description } : {}),
            ...(empty ? {} : { parametersJsonSchema: toGeminiJsonSchema(parameters) }),
          }];
        }
        // Converted first: a root $ref or allOf has its properties only once inlined.
        const params = parameters ? convertToGeminiSchema(parameters) : undefined;
        return [{
          name: tool.function.name,
          ...(tool.function.description ? { description: tool.function.description } : {}),
          // Gemini rejects parameters without properties: a function without arguments has none.
          ...(params?.properties ? { parameters: params } : {}),
        }];
      }),
    }];
  }
  const choice = request.tool_choice;
  // Gemini refuses a functionCallingConfig without functionDeclarations, even mode NONE: with
  // no tools, none is already what happens.
  if (choice === 'none') {
    if (out.tools) out.toolConfig = { functionCallingConfig: { mode: 'NONE' } };
  } else if (choice === 'required') out.toolConfig = { functionCallingConfig: { mode: 'ANY' } };
  else if (choice === 'auto' && out.tools) out.toolConfig = { functionCallingConfig: { mode: 'AUTO' } };
  else if (allowed) {
    // Gemini takes allowedFunctionNames only with ANY; for auto the shorter list is the limit.
    out.toolConfig = { functionCallingConfig: allowed.mode === 'required' ? { mode: 'ANY', allowedFunctionNames: [...allowed.names] } : { mode: 'AUTO' } };
  } else if (choice && typeof choice === 'object') {
    if (choice.type !== 'function') throw invalidRequest(`Gemini does not take a tool_choice of type "${choice.type}"`, 'tool_choice.type');
    out.toolConfig = { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } };
  }
  if (out.toolConfig && !out.tools) {
    throw invalidRequest('tool_choice needs tools', 'tool_choice');
  }
  return out;
}
