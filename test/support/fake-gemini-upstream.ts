import { sampleFor } from './sample-for-schema.ts';
import {
  startScriptedUpstream, type FakeReply as Reply, type LooseRequest, type ReplyDialect, type ScriptedUpstream,
} from './scripted-fake-upstream.ts';

// A fake Gemini API (v1beta generateContent / streamGenerateContent?alt=sse) on loopback that
// speaks the real wire format: it checks requests the way Gemini does (API key header, known
// fields, roles, one datum per part, inline image types, thinkingConfig), records them, and
// answers with a scripted or a default reply, a thought part first when thoughts are asked
// for. Streams are `data: <GenerateContentResponse>` events with no end marker, closed by the
// server.

/** `path` has its query, e.g. /v1beta/models/gemini-fake:streamGenerateContent?alt=sse */
export type RecordedRequest = LooseRequest;
/** Each SSE event is one GenerateContentResponse (or an `{error}` object) sent as `data:`. */
export type FakeReply = Reply<unknown>;

export type FakeGeminiUpstream = ScriptedUpstream<unknown>;

export const FAKE_GEMINI_KEY = 'AIzaFakeGeminiKey0123456789';
export const FAKE_GEMINI_MODEL = 'gemini-fake-1';

const GEMINI_DIALECT: ReplyDialect<unknown> = {
  jsonHeaders: () => ({ 'content-type': 'application/json; charset=UTF-8' }),
  sseHeaders: () => ({ 'content-type': 'text/event-stream' }),
  frame: (e) => `data: ${JSON.stringify(e)}\r\n\r\n`,
};

export function startFakeGemini(options: { apiKey?: string } = {}): Promise<FakeGeminiUpstream> {
  const apiKey = options.apiKey ?? FAKE_GEMINI_KEY;
  return startScriptedUpstream(GEMINI_DIALECT, (req) => defaultReply(req, apiKey));
}

// ---- wire builders ----

export interface CandidateSpec {
  text?: string;
  thought?: string;
  functionCalls?: Array<{ name: string; args: Record<string, unknown> }>;
  finishReason?: string;
}

export interface ResponseSpec {
  candidates?: CandidateSpec[];
  blockReason?: string;
  usage?: { prompt: number; candidates: number; thoughts?: number; images?: number };
  model?: string;
}

export function geminiResponse(spec: ResponseSpec): any {
  const usage = spec.usage ?? { prompt: 10, candidates: 5 };
  const usageMetadata: any = {
    promptTokenCount: usage.prompt,
    candidatesTokenCount: usage.candidates,
    totalTokenCount: usage.prompt + usage.candidates + (usage.thoughts ?? 0),
    promptTokensDetails: [
      { modality: 'TEXT', tokenCount: usage.prompt - (usage.images ?? 0) },
      ...(usage.images ? [{ modality: 'IMAGE', tokenCount: usage.images }] : []),
    ],
  };
  if (usage.thoughts) usageMetadata.thoughtsTokenCount = usage.thoughts;
  const out: any = { usageMetadata, modelVersion: spec.model ?? FAKE_GEMINI_MODEL, responseId: `fake${Math.random().toString(36).slice(2, 12)}` };
  if (spec.blockReason) {
    out.promptFeedback = { blockReason: spec.blockReason };
    delete usageMetadata.candidatesTokenCount;
    usageMetadata.totalTokenCount = usage.prompt;
    return out;
  }
  out.candidates = (spec.candidates ?? []).map((c, index) => {
    const parts: any[] = [];
    if (c.thought) parts.push({ text: c.thought, thought: true });
    if (c.text) parts.push({ text: c.text });
    c.functionCalls?.forEach((f, i) => parts.push({ functionCall: { name: f.name, args: f.args }, ...(i === 0 ? { thoughtSignature: 'c2lnbmF0dXJl' } : {}) }));
    return { ...(parts.length ? { content: { parts, role: 'model' } } : {}), finishReason: c.finishReason ?? 'STOP', index };
  });
  return out;
}

/** A response as Gemini streams it: text in small pieces, the finishReason on the last event. */
export function geminiStreamEvents(response: any): unknown[] {
  if (!response.candidates) return [response];
  const events: any[] = [];
  const pieceCount = Math.max(1, ...response.candidates.map((c: any) => textOf(c).length ? Math.ceil(textOf(c).length / 8) : 1));
  for (let k = 0; k < pieceCount; k++) {
    const last = k === pieceCount - 1;
    const candidates = response.candidates.map((c: any) => {
      const text = textOf(c).slice(k * 8, (k + 1) * 8);
      const parts: any[] = [];
      if (k === 0) parts.push(...(c.content?.parts ?? []).filter((p: any) => p.thought));
      if (text) parts.push({ text });
      if (last) parts.push(...(c.content?.parts ?? []).filter((p: any) => p.functionCall));
      return { ...(parts.length ? { content: { parts, role: 'model' } } : {}), ...(last ? { finishReason: c.finishReason } : {}), index: c.index };
    });
    const usageMetadata = last ? response.usageMetadata : { promptTokenCount: response.usageMetadata.promptTokenCount, totalTokenCount: response.usageMetadata.promptTokenCount };
    events.push({ candidates, usageMetadata, modelVersion: response.modelVersion, responseId: response.responseId });
  }
  return events;
}

function textOf(candidate: any): string {
  return (candidate.content?.parts ?? []).filter((p: any) => typeof p.text === 'string' && !p.thought).map((p: any) => p.text).join('');
}

const STATUS_TEXT: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

export function geminiError(code: number, message: string, options: { details?: unknown[]; headers?: Record<string, string> } = {}): FakeReply {
  return {
    kind: 'json',
    status: code,
    body: { error: { code, message, status: STATUS_TEXT[code] ?? 'UNKNOWN', ...(options.details ? { details: options.details } : {}) } },
    headers: options.headers,
  };
}

// ---- the default reply ----

const KNOWN_TOP_LEVEL = new Set(['contents', 'systemInstruction', 'system_instruction', 'generationConfig', 'generation_config', 'safetySettings', 'tools', 'toolConfig', 'tool_config', 'cachedContent']);
const KNOWN_GENERATION = new Set([
  'temperature', 'topP', 'topK', 'candidateCount', 'maxOutputTokens', 'stopSequences', 'responseMimeType', 'responseSchema',
  'responseJsonSchema', 'presencePenalty', 'frequencyPenalty', 'seed', 'responseLogprobs', 'logprobs', 'mediaResolution', 'thinkingConfig',
]);
const DATA_FIELDS = ['text', 'inlineData', 'inline_data', 'fileData', 'file_data', 'functionCall', 'function_call', 'functionResponse', 'function_response'];

function defaultReply(req: RecordedRequest, apiKey: string): FakeReply {
  const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)(\?alt=sse)?$/.exec(req.path);
  if (req.method !== 'POST' || !match) return geminiError(404, `Method not found: ${req.method} ${req.path}`);
  if (req.headers['x-goog-api-key'] !== apiKey) {
    return geminiError(400, 'API key not valid. Please pass a valid API key.', {
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
    });
  }
  const problem = validate(req.body);
  if (problem) return geminiError(400, problem);
  const response = answer(req.body, decodeURIComponent(match[1]));
  return match[2] === 'streamGenerateContent' ? { kind: 'sse', events: geminiStreamEvents(response) } : { kind: 'json', body: response };
}

function validate(body: any): string | null {
  if (!body || typeof body !== 'object') return 'Invalid JSON payload received.';
  for (const key of Object.keys(body)) if (!KNOWN_TOP_LEVEL.has(key)) return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
  for (const key of Object.keys(body.generationConfig ?? {})) {
    if (!KNOWN_GENERATION.has(key)) return `Invalid JSON payload received. Unknown name "${key}" at 'generation_config': Cannot find field.`;
  }
  if ((body.generationConfig?.stopSequences?.length ?? 0) > 5) return 'stop_sequences: at most 5';
  const thinking = body.generationConfig?.thinkingConfig;
  if (thinking !== undefined) {
    for (const key of Object.keys(thinking)) {
      if (!['thinkingBudget', 'thinkingLevel', 'includeThoughts'].includes(key)) return `Invalid JSON payload received. Unknown name "${key}" at 'generation_config.thinking_config': Cannot find field.`;
    }
    if (thinking.thinkingBudget !== undefined && thinking.thinkingLevel !== undefined) return 'You can only set either thinking budget or thinking level.';
    if (thinking.thinkingBudget !== undefined && !(Number.isInteger(thinking.thinkingBudget) && thinking.thinkingBudget >= -1)) return `Invalid value at 'generation_config.thinking_config.thinking_budget' (TYPE_INT32), ${thinking.thinkingBudget}`;
    if (thinking.thinkingLevel !== undefined && !['minimal', 'low', 'medium', 'high'].includes(String(thinking.thinkingLevel).toLowerCase())) {
      return `Invalid value at 'generation_config.thinking_config.thinking_level' (type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), "${thinking.thinkingLevel}"`;
    }
  }
  if (!Array.isArray(body.contents) || body.contents.length === 0) return '* GenerateContentRequest.contents: contents is not specified';
  for (let i = 0; i < body.contents.length; i++) {
    const c = body.contents[i];
    if (c.role !== undefined && c.role !== 'user' && c.role !== 'model') return `* GenerateContentRequest.contents[${i}].role: Please use a valid role: user, model.`;
    if (!Array.isArray(c.parts) || c.parts.length === 0) return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    for (let j = 0; j < c.parts.length; j++) {
      const p = c.parts[j];
      const at = `* GenerateContentRequest.contents[${i}].parts[${j}]`;
      const data = DATA_FIELDS.filter((f) => p[f] !== undefined);
      if (data.length !== 1) return `${at}.data: required oneof field 'data' must have one initialized field`;
      const inline = p.inlineData ?? p.inline_data;
      if (inline) {
        const mime = inline.mimeType ?? inline.mime_type;
        if (!['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif'].includes(mime)) return `${at}.inline_data.mime_type: Unsupported MIME type: ${mime}`;
        if (typeof inline.data !== 'string' || !/^[A-Za-z0-9+/_-]+=*$/.test(inline.data)) return `${at}.inline_data.data: Base64 decoding failed`;
      }
      const fr = p.functionResponse ?? p.function_response;
      if (fr && (!fr.name || typeof fr.response !== 'object')) return `${at}.function_response: name and response are required`;
      if (p.text === '' ) return `${at}.text: must not be empty`;
    }
  }
  return null;
}

function answer(body: any, model: string): any {
  const parts: any[] = body.contents.flatMap((c: any) => c.parts);
  const images = parts.filter((p) => p.inlineData || p.inline_data || p.fileData || p.file_data).length;
  const textChars = parts.filter((p) => typeof p.text === 'string').reduce((n, p) => n + p.text.length, 0)
    + (body.systemInstruction?.parts ?? []).reduce((n: number, p: any) => n + (p.text?.length ?? 0), 0);
  const prompt = Math.ceil(textChars / 4) + images * 258;
  const config = body.generationConfig ?? {};
  const n = config.candidateCount ?? 1;
  const lastParts: any[] = body.contents.at(-1).parts;
  const lastResponse = lastParts.findLast((p) => p.functionResponse);
  const declarations: any[] = (body.tools ?? []).flatMap((t: any) => t.functionDeclarations ?? []);
  const mode = body.toolConfig?.functionCallingConfig?.mode ?? 'AUTO';
  const allText = parts.filter((p) => typeof p.text === 'string').map((p) => p.text).join(' ');
  // Thoughts come back only with includeThoughts; their words count as thoughtsTokenCount.
  const thought = config.thinkingConfig?.includeThoughts ? `I am asked about ${images} image${images === 1 ? '' : 's'}; let me look closely first.` : undefined;
  const thoughts = thought ? thought.split(/(?<= )/).length : 0;

  if (!lastResponse && declarations.length && mode !== 'NONE' && (mode === 'ANY' || declarations.some((d) => allText.includes(d.name)))) {
    const allowed: string[] | undefined = body.toolConfig?.functionCallingConfig?.allowedFunctionNames;
    const fn = declarations.find((d) => !allowed || allowed.includes(d.name));
    return geminiResponse({ model, candidates: [{ thought, functionCalls: [{ name: fn.name, args: sampleFor(fn.parametersJsonSchema ?? fn.parameters) ?? {} }] }], usage: { prompt, candidates: 10, thoughts, images: images * 258 } });
  }

  let text: string;
  if (config.responseMimeType === 'application/json') {
    const schema = config.responseJsonSchema ?? config.responseSchema;
    text = JSON.stringify(schema ? sampleFor(schema) : { images, answer: 'fake' });
  } else if (lastResponse) {
    text = `The tool said: ${JSON.stringify(lastResponse.functionResponse.response)}`;
  } else {
    text = `I see ${images} image${images === 1 ? '' : 's'} in ${body.contents.length} message${body.contents.length === 1 ? '' : 's'}. STOP here, then more words follow.`;
  }
  let finishReason = 'STOP';
  for (const stop of config.stopSequences ?? []) {
    const at = text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  const words = text.split(/(?<= )/);
  if (config.maxOutputTokens !== undefined && words.length > config.maxOutputTokens) {
    text = words.slice(0, config.maxOutputTokens).join('');
    finishReason = 'MAX_TOKENS';
  }
  const out = text.split(/(?<= )/).length;
  return geminiResponse({
    model,
    candidates: Array.from({ length: n }, () => ({ thought, text, finishReason })),
    usage: { prompt, candidates: out * n, thoughts: thoughts * n, images: images * 258 },
  });
}
