import type { ChatCompletionRequest } from '../../openai/types.ts';
import { convertToGeminiContents } from './convert-to-gemini-contents.ts';
import { convertToGeminiSchema } from './convert-to-gemini-schema.ts';
import { takesJsonSchema, toGeminiJsonSchema } from './to-gemini-json-schema.ts';
import { convertToGeminiTools } from './convert-to-gemini-tools.ts';
import { geminiVersion } from './gemini-model-version.ts';
import type { GeminiGenerationConfig, GeminiRequest } from './gemini-wire.ts';
import { mapGeminiThinking } from './map-gemini-thinking.ts';

// A whole OpenAI request → a Gemini generateContent body. The model goes in the URL, and
// streaming is a different method, so neither appears here. reasoning_effort becomes a
// thinkingConfig (map-gemini-thinking.ts); verbosity has no Gemini counterpart and is not sent.

export function convertToGeminiRequest(request: ChatCompletionRequest): GeminiRequest {
  const conversation = convertToGeminiContents(request.messages, { gemini3: needsThoughtSignatures(request.model) });
  const config: GeminiGenerationConfig = {};
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  // top_k -1 is "off" (vLLM's word for it), which Gemini says by leaving topK out.
  if (request.top_k != null && request.top_k !== -1) config.topK = request.top_k;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) config.maxOutputTokens = maxTokens;
  if (request.stop != null) {
    const stops = (typeof request.stop === 'string' ? [request.stop] : request.stop).filter((s) => s !== '');
    if (stops.length) config.stopSequences = stops;
  }
  if (request.n != null && request.n !== 1) config.candidateCount = request.n;
  // OpenAI's seed is an int64, Gemini's an int32: wrapped (ToInt32), so one seed is always the same one.
  if (request.seed != null) config.seed = request.seed | 0;
  // Gemini 2.5 and later refuse penalties ("Penalty is not enabled for models/gemini-2.5-flash"):
  // hints a model cannot take are left out, as for Anthropic's.
  if (takesPenalties(request.model)) {
    if (request.presence_penalty != null) config.presencePenalty = request.presence_penalty;
    if (request.frequency_penalty != null) config.frequencyPenalty = request.frequency_penalty;
  }
  if (request.logprobs) {
    config.responseLogprobs = true;
    if (request.top_logprobs != null) config.logprobs = request.top_logprobs;
  }
  const format = request.response_format;
  let jsonInstruction: string | null = null;
  if (format?.type === 'json_object' || format?.type === 'json_schema') {
    const schema = format.type === 'json_schema' ? format.json_schema.schema : undefined;
    if (jsonBesideTools(request)) {
      // Gemini before 3 refuses a JSON mime type beside callable functions ("Function calling
      // with a response mime type: 'application/json' is unsupported"); OpenAI takes both, and
      // the model either calls a tool or answers in JSON. The JSON is asked for in words then.
      jsonInstruction = schema ? `When you answer rather than call a function, answer with JSON only, valid against this JSON Schema: ${JSON.stringify(schema)}` : 'When you answer rather than call a function, answer with a JSON object only.';
    } else {
      config.responseMimeType = 'application/json';
      if (schema && takesJsonSchema(request.model)) config.responseJsonSchema = toGeminiJsonSchema(schema);
      else if (schema) config.responseSchema = convertToGeminiSchema(schema);
    }
  }
  const thinking = mapGeminiThinking(request.reasoning_effort, request.model);
  if (thinking) config.thinkingConfig = thinking;
  if (jsonInstruction) conversation.systemInstruction = { parts: [...(conversation.systemInstruction?.parts ?? []), { text: jsonInstruction }] };
  return {
    ...conversation,
    ...(Object.keys(config).length ? { generationConfig: config } : {}),
    ...convertToGeminiTools(request),
  };
}

/** Functions the model may call, on a Gemini before 3 (or one whose generation the id does not name). */
function jsonBesideTools(request: ChatCompletionRequest): boolean {
  const callable = (request.tools?.length ?? 0) > 0 && request.tool_choice !== 'none';
  return callable && (geminiVersion(request.model)?.major ?? 0) < 3;
}

/** Models before Gemini 2.5 (and ids that name no generation) take presence and frequency penalties. */
function takesPenalties(model: string): boolean {
  const version = geminiVersion(model);
  return !version || version.major < 2 || (version.major === 2 && version.minor < 5);
}

/** Gemini 3 and later want a thoughtSignature on replayed function calls. */
function needsThoughtSignatures(model: string): boolean {
  return (geminiVersion(model)?.major ?? 0) >= 3;
}
