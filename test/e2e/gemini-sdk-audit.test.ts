// Gemini SDK audit: Iris's Gemini translation (src/providers/gemini/*) checked against what the
// REAL Gemini API sends and accepts today, as Google's official JS SDK (@google/genai 2.32.0,
// dist/genai.d.ts and dist/index.mjs) and real API errors in public issues describe it — not
// against our own wire-formats.md. A real Iris on loopback, the official openai client, and a raw
// node:http Gemini (below) that answers with Gemini's exact bytes and enforces the documented
// rules the cases below depend on (each rule cites its source).
//
// Tests whose names end "(found by the audit)" each failed before their fix (session 16); each
// cites its source. Tests named `fine: …` pin important behaviour that was found correct.
//
// Sources (SDK = /tmp/genai-sdk/node_modules/@google/genai, version 2.32.0):
//  [S-FR]   SDK dist/genai.d.ts `enum FinishReason` (CONTINUATION, IMAGE_PROHIBITED_CONTENT,
//           IMAGE_RECITATION, IMAGE_OTHER, NO_IMAGE, …); `interface Candidate` (finishMessage,
//           continuationToken "returned when finish_reason is CONTINUATION").
//  [S-PART] SDK `interface Part` (thought, thoughtSignature, inlineData, executableCode,
//           codeExecutionResult, …); `interface FunctionCall` ("id: If populated, the client [is]
//           to execute the function_call and return the response with the matching id");
//           `class FunctionResponse` ("id: Populated by the client to match the corresponding
//           function call id").
//  [S-USAGE] SDK `class GenerateContentResponseUsageMetadata` (totalTokenCount "is the sum of
//           prompt_token_count, candidates_token_count, tool_use_prompt_token_count, and
//           thoughts_token_count").
//  [S-FD]   SDK `interface FunctionDeclaration` (name: "Must start with a letter or an underscore
//           … maximum length of 128"; `parametersJsonSchema` "Describes the parameters to the
//           function in JSON Schema format … mutually exclusive with parameters");
//           `GenerationConfig.responseJsonSchema` (takes $ref/$defs, additionalProperties,
//           prefixItems, oneOf, number enums; "Cyclic references are unrolled to a limited degree").
//  [S-MCP]  SDK dist/index.mjs `mcpToGeminiTool`: the SDK itself sends an MCP tool's inputSchema
//           verbatim as `parametersJsonSchema`; `tTool` moves a `parameters` that carries `$schema`
//           to `parametersJsonSchema`; `maybeMoveToResponseJsonSchema` does the same for
//           responseSchema ("Since v1.9.0, we switch to use backend JSON schema support").
//  [I-OBJ]  Real API error for an OBJECT with no properties inside `parameters`/`responseSchema`:
//           "* GenerateContentRequest.tools[0].function_declarations[7].parameters.properties[query]
//           .properties: should be non-empty for OBJECT type" — github.com/MarkusPfundstein/mcp-obsidian/issues/21
//           (its tool: `query: {"type": "object", "description": …}`, src/mcp_obsidian/tools.py);
//           the same rule for responseSchema (structured output): googleapis/js-genai/issues/708
//           ("object must have at least one property"; records via additionalProperties refused),
//           seen as "generation_config.response_schema.properties[…].properties: should be
//           non-empty for OBJECT type"; for the top-level case (which Iris already avoids):
//           github.com/agno-agi/agno/issues/2112, vercel/ai#3371.
//  [I-ID]   Function-call ids: Google's function-calling guide, quoted in
//           github.com/NousResearch/hermes-agent/pull/46077: "Always map function IDs: Gemini 3 now
//           always returns a unique id with every functionCall. Include this exact id in your
//           functionResponse"; github.com/ShinChven/remix-studio/pull/35: "from 3.5 onwards,
//           [Gemini] rejects the next turn with 400 INVALID_ARGUMENT unless every functionResponse
//           echoes the id of the call it answers"; real error text from
//           github.com/router-for-me/CLIProxyAPI/issues/5199: "functionResponse.id does not match
//           functionCall.id" (HTTP 400, gemini-3.7-flash).
//  [I-SIG]  ai.google.dev/gemini-api/docs/thought-signatures: "if you receive a thought signature in
//           a model response, you should pass it back exactly as received … When using Gemini 3
//           models, you must pass back thought signatures during function calling". Google's own
//           OpenAI-compatible endpoint carries it on each tool call as
//           `extra_content.google.thought_signature` (discuss.ai.google.dev/t/…/109823,
//           github.com/crmne/ruby_llm/pull/588, continuedev/continue#8865).
//  [I-NAME] Real 400 for a name Gemini refuses: "* GenerateContentRequest.tools[0]
//           .function_declarations[27].name: Invalid function name. Must start with a letter or an
//           underscore. …" — github.com/google-gemini/gemini-cli/issues/7869, kaitranntt/ccs#25.

import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { assertChatCompletion } from '../support/openai-schemas.ts';
import { postChatJson, streamChunks as streamChunksOf } from '../support/chat-http.ts';
import { startIris, type RunningIris } from '../support/start-iris.ts';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;

// ---- a raw Gemini on loopback ------------------------------------------------------------

const KEY = 'AIzaSdkAuditKey0123456789';

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/** One scripted answer: JSON with a status, or SSE `data:` events (raw Gemini framing). */
type Reply =
  | { kind: 'json'; status?: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'sse'; events: unknown[] }
  /** Compute the answer from the request (e.g. to enforce a rule on it). */
  | { kind: 'fn'; fn: (req: Recorded) => Reply };

let server: Server;
let baseUrl = '';
const requests: Recorded[] = [];
const queue: Reply[] = [];

function send(res: ServerResponse, reply: Reply, req: Recorded): void {
  if (reply.kind === 'fn') return send(res, reply.fn(req), req);
  if (reply.kind === 'json') {
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=UTF-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked' });
  // Gemini's alt=sse framing: `data: <GenerateContentResponse>\r\n\r\n`, no end marker, then close.
  for (const e of reply.events) res.write(`data: ${JSON.stringify(e)}\r\n\r\n`);
  res.end();
}

const googleError = (code: number, status: string, message: string, details?: unknown[]) => ({
  kind: 'json' as const,
  status: code,
  body: { error: { code, message, status, ...(details ? { details } : {}) } },
});

/**
 * The documented request rules this audit leans on, as the real API enforces them.
 * [I-OBJ]: an OBJECT node in `parameters` / `responseSchema` (the OpenAPI Schema path) must have
 * non-empty properties. `parametersJsonSchema` / `responseJsonSchema` take full JSON Schema [S-FD].
 */
function objectRule(body: any): string | null {
  const problems: string[] = [];
  const walk = (s: any, at: string): void => {
    if (!s || typeof s !== 'object') return;
    const type = typeof s.type === 'string' ? s.type.toUpperCase() : undefined;
    if (type === 'OBJECT' && !(s.properties && Object.keys(s.properties).length)) problems.push(`* GenerateContentRequest.${at}.properties: should be non-empty for OBJECT type`);
    for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${at}.properties[${k}]`);
    if (s.items) walk(s.items, `${at}.items`);
    (s.anyOf ?? []).forEach((b: unknown, i: number) => walk(b, `${at}.any_of[${i}]`));
  };
  (body.tools ?? []).forEach((t: any, i: number) =>
    (t.functionDeclarations ?? []).forEach((d: any, j: number) => d.parameters && walk(d.parameters, `tools[${i}].function_declarations[${j}].parameters`)));
  if (body.generationConfig?.responseSchema) walk(body.generationConfig.responseSchema, 'generation_config.response_schema');
  return problems.length ? problems.join('\n') + '\n' : null;
}

function defaultReply(req: Recorded): Reply {
  if (req.headers['x-goog-api-key'] !== KEY) {
    return googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
    ]);
  }
  const problem = objectRule(req.body);
  if (problem) return googleError(400, 'INVALID_ARGUMENT', problem);
  const response = { candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 }, modelVersion: 'gemini-audit', responseId: 'resp1' };
  return req.path.includes(':streamGenerateContent') ? { kind: 'sse', events: [response] } : { kind: 'json', body: response };
}

// ---- Iris --------------------------------------------------------------------------------

const G25 = 'g25'; // gemini-2.5-flash
const G3 = 'g3'; // gemini-3-flash-preview
const G35 = 'g35'; // gemini-3.5-flash

let iris: RunningIris;

before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const rec: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      requests.push(rec);
      send(res, queue.shift() ?? { kind: 'fn', fn: defaultReply }, rec);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  iris = await startIris({
    providers: { gem: { type: 'gemini', base_url: baseUrl, api_key: KEY, timeout_ms: 5000 } },
    models: [
      { name: G25, provider: 'gem', upstream: 'gemini-2.5-flash' },
      { name: G3, provider: 'gem', upstream: 'gemini-3-flash-preview' },
      { name: G35, provider: 'gem', upstream: 'gemini-3.5-flash' },
    ],
  });
});

after(async () => {
  await iris?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
});

beforeEach(() => {
  requests.length = 0;
  queue.length = 0;
});

// ---- helpers -----------------------------------------------------------------------------

const post = (body: Record<string, unknown>) => postChatJson(iris, body);
const streamChunks = (body: Record<string, unknown>) => streamChunksOf(iris, body);

const user = (content: unknown) => [{ role: 'user', content }];
const json = (body: unknown, status = 200): Reply => ({ kind: 'json', status, body });
const candidate = (parts: unknown[] | null, finishReason?: string, extra: Record<string, unknown> = {}) => ({
  ...(parts ? { content: { role: 'model', parts } } : {}),
  ...(finishReason ? { finishReason } : {}),
  index: 0,
  ...extra,
});
const response = (candidates: unknown[], usageMetadata: unknown = { promptTokenCount: 5, candidatesTokenCount: 2, totalTokenCount: 7 }) => ({
  candidates, usageMetadata, modelVersion: 'gemini-audit-001', responseId: 'r-audit',
});
const contentOf = (chunks: Chunk[]) => chunks.flatMap((c) => c.choices).map((c) => c.delta.content ?? '').join('');
const reasoningOf = (chunks: Chunk[]) => chunks.flatMap((c) => c.choices).map((c) => (c.delta as { reasoning_content?: string }).reasoning_content ?? '').join('');
const finishOf = (chunks: Chunk[]) => chunks.flatMap((c) => c.choices).filter((c) => c.finish_reason).map((c) => c.finish_reason);

const WEATHER_TOOL = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

// ==========================================================================================
// Found by the audit
// ==========================================================================================

describe('found by the audit', () => {
  it('Gemini 3 function-call ids are echoed on replay: functionCall and functionResponse carry the call\'s id, which Gemini 3.5+ requires (found by the audit)', async () => {
    // Turn 1: Gemini 3.5 answers with two parallel calls, each with its own id [S-PART][I-ID]; the
    // first carries the thoughtSignature (parallel calls share the first one's) [I-SIG].
    queue.push(json(response([candidate([
      { functionCall: { id: 'fc_oslo_81', name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: 'Q2lJQlZLaGM3bDVt' },
      { functionCall: { id: 'fc_rome_82', name: 'get_weather', args: { city: 'Rome' } } },
    ], 'STOP')])));
    const first = await post({ model: G35, messages: user('weather in Oslo and Rome?'), tools: [WEATHER_TOOL] });
    assert.equal(first.status, 200, first.text);
    assertChatCompletion(first.json);
    const message = first.json.choices[0].message;
    // Fine: Iris hands the client Gemini's own ids as the tool_call ids.
    assert.deepEqual(message.tool_calls.map((c: any) => c.id), ['fc_oslo_81', 'fc_rome_82']);

    // Turn 2: the client answers both calls by those ids (results in the other order). The real
    // API (3.5+) refuses a functionResponse that does not echo its call's id [I-ID].
    queue.push({
      kind: 'fn',
      fn: (req) => {
        const responses = req.body.contents.flatMap((c: any) => c.parts).filter((p: any) => p.functionResponse).map((p: any) => p.functionResponse);
        const ok = responses.length === 2 && responses.every((r: any) => (r.name === 'get_weather' && ['fc_oslo_81', 'fc_rome_82'].includes(r.id)));
        return ok ? defaultReply(req) : googleError(400, 'INVALID_ARGUMENT', 'functionResponse.id does not match functionCall.id');
      },
    });
    const second = await post({
      model: G35,
      tools: [WEATHER_TOOL],
      messages: [
        ...user('weather in Oslo and Rome?'),
        message,
        { role: 'tool', tool_call_id: 'fc_rome_82', content: '{"temp":21}' },
        { role: 'tool', tool_call_id: 'fc_oslo_81', content: '{"temp":4}' },
      ],
    });
    const sent = requests.at(-1)!.body.contents;
    const calls = sent.flatMap((c: any) => c.parts).filter((p: any) => p.functionCall).map((p: any) => p.functionCall.id);
    const results = sent.flatMap((c: any) => c.parts).filter((p: any) => p.functionResponse).map((p: any) => p.functionResponse.id);
    // Before the fix: [undefined, undefined] for both, and the client gets Gemini's 400.
    assert.deepEqual({ calls, results }, { calls: ['fc_oslo_81', 'fc_rome_82'], results: ['fc_oslo_81', 'fc_rome_82'] }, 'ids Gemini 3 gave must be echoed on functionCall and functionResponse');
    assert.equal(second.status, 200, second.text);
  });

  it('a tool parameter that is a free-form object (MCP `{"type":"object"}`, zod z.record, pydantic dict) goes as JSON Schema, not an OBJECT without properties, which Gemini 400s (found by the audit)', async () => {
    // The exact tool of MarkusPfundstein/mcp-obsidian (obsidian_complex_search) that got
    // "parameters.properties[query].properties: should be non-empty for OBJECT type" [I-OBJ],
    // and a zod `z.record(z.number())` / pydantic `dict[str, float]` property.
    const tool = {
      type: 'function',
      function: {
        name: 'obsidian_complex_search',
        description: 'Complex search for documents using a JsonLogic query.',
        parameters: {
          type: 'object',
          properties: {
            query: { type: 'object', description: 'JsonLogic query object.' },
            weights: { type: 'object', additionalProperties: { type: 'number' } },
          },
          required: ['query'],
          additionalProperties: false,
          $schema: 'http://json-schema.org/draft-07/schema#',
        },
      },
    };
    const out = await post({ model: G25, messages: user('find my notes tagged work'), tools: [tool] });
    const declaration = requests.at(-1)?.body.tools[0].functionDeclarations[0];
    // Before the fix: parameters.properties.query = {type:'OBJECT', description} → Gemini's 400 reaches the client.
    assert.equal(out.status, 200, `Iris sent ${JSON.stringify(declaration)} → ${out.text}`);
  });

  it('response_format json_schema with a free-form object (a record/dict field) goes as responseJsonSchema, not a responseSchema OBJECT without properties, which Gemini 400s (found by the audit)', async () => {
    // pydantic `scores: dict[str, float]`, as openai-python's .parse(response_format=Model) sends it.
    const schema = {
      type: 'object',
      properties: { title: { type: 'string' }, scores: { type: 'object', additionalProperties: { type: 'number' }, title: 'Scores' } },
      required: ['title', 'scores'],
      additionalProperties: false,
    };
    const out = await post({ model: G25, messages: user('rate these'), response_format: { type: 'json_schema', json_schema: { name: 'Rating', schema, strict: true } } });
    const config = requests.at(-1)?.body.generationConfig;
    // Before the fix: responseSchema.properties.scores = {type:'OBJECT', title:'Scores'} → 400
    // "generation_config.response_schema.properties[scores].properties: should be non-empty for OBJECT type".
    assert.equal(out.status, 200, `Iris sent ${JSON.stringify(config)} → ${out.text}`);
  });

  it('response_format json_schema with a recursive $ref or a tuple keeps them (responseJsonSchema), not arrays of strings that contradict the client\'s schema (found by the audit)', async () => {
    // zod z.lazy / pydantic self-referencing model (→ $defs + $ref), and a tuple (items as a list,
    // as draft-07 tools such as zod-to-json-schema write it). responseJsonSchema takes $ref/$defs
    // and prefixItems [S-FD]; responseSchema has neither, and Iris's stand-in is STRING items.
    const schema = {
      $defs: {
        Node: {
          type: 'object',
          properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } },
          required: ['name', 'children'],
        },
      },
      type: 'object',
      properties: { root: { $ref: '#/$defs/Node' }, point: { type: 'array', items: [{ type: 'number' }, { type: 'number' }], minItems: 2, maxItems: 2 } },
      required: ['root', 'point'],
    };
    await post({ model: G25, messages: user('tree?'), response_format: { type: 'json_schema', json_schema: { name: 'Tree', schema } } });
    const config = requests.at(-1)!.body.generationConfig;
    const sent = config.responseJsonSchema ?? config.responseSchema;
    // What Gemini is told: root.children is an array of STRING and point an array of STRING.
    // Gemini answers {"root":{"name":"a","children":["b"]},"point":["1","2"]}: valid for what Iris
    // sent, refused by the client's own schema (openai SDK .parse(), zod, pydantic all throw).
    const childItems = config.responseJsonSchema ? 'json-schema' : sent.properties.root.properties.children.items.type;
    const pointItems = config.responseJsonSchema ? 'json-schema' : sent.properties.point.items.type;
    assert.notEqual(childItems, 'STRING', `children became an array of strings: ${JSON.stringify(sent)}`);
    assert.notEqual(pointItems, 'STRING', `the [number, number] tuple became an array of strings: ${JSON.stringify(sent)}`);
  });

  it('the thoughtSignature Gemini 3 puts on a function call reaches the client (extra_content.google) and goes back on replay instead of the bypass sentinel (found by the audit)', async () => {
    // [I-SIG]: "pass it back exactly as received". Google's OpenAI-compatible endpoint hands it to
    // OpenAI clients as tool_calls[].extra_content.google.thought_signature, which clients echo
    // back with the assistant message (openai SDKs keep unknown fields; Iris's schema accepts them).
    const signature = 'EoYCCoMCARFNMg/vBOfJrealSignature==';
    queue.push(json(response([candidate([
      { text: 'I will look it up.', thought: true },
      { functionCall: { id: 'fc_1', name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: signature },
    ], 'STOP')])));
    const first = await post({ model: G3, messages: user('weather in Oslo?'), tools: [WEATHER_TOOL] });
    assert.equal(first.status, 200, first.text);
    const message = first.json.choices[0].message; // echoed back verbatim, as the OpenAI docs' tool loop does
    await post({ model: G3, tools: [WEATHER_TOOL], messages: [...user('weather in Oslo?'), message, { role: 'tool', tool_call_id: message.tool_calls[0].id, content: '4°C' }] });
    const replayed = requests.at(-1)!.body.contents[1].parts.find((p: any) => p.functionCall);
    // Before the fix: 'skip_thought_signature_validator' (Google's escape hatch for foreign histories), and
    // nothing of the signature in the OpenAI response (no extra_content on the tool call).
    assert.equal(replayed.thoughtSignature, signature, `tool call as the client got it: ${JSON.stringify(message.tool_calls[0])}`);
  });

  it('finishReasons of the SDK enum: CONTINUATION (cut short) is length, IMAGE_PROHIBITED_CONTENT and IMAGE_RECITATION (filtered) are content_filter, not stop (found by the audit)', async () => {
    // [S-FR]: CONTINUATION = "the response reached the per-request token limit, but generation is not
    // yet complete" (→ length, as MAX_TOKENS); IMAGE_PROHIBITED_CONTENT / IMAGE_RECITATION are the
    // image forms of PROHIBITED_CONTENT / RECITATION, which Iris already maps to content_filter
    // (as it does IMAGE_SAFETY). IMAGE_OTHER / NO_IMAGE ("for a reason not otherwise specified",
    // "none was generated") as stop are defensible and not asserted.
    const expected: Record<string, string> = { CONTINUATION: 'length', IMAGE_PROHIBITED_CONTENT: 'content_filter', IMAGE_RECITATION: 'content_filter' };
    const observed: Record<string, string> = {};
    const observedStream: Record<string, string> = {};
    for (const reason of Object.keys(expected)) {
      const body = response([candidate([{ text: 'partial answer' }], reason, reason === 'CONTINUATION' ? { continuationToken: 'Y29udGludWU=' } : {})]);
      queue.push(json(body));
      const out = await post({ model: G25, messages: user('x') });
      assert.equal(out.status, 200, out.text);
      observed[reason] = out.json.choices[0].finish_reason;
      queue.push({ kind: 'sse', events: [body] });
      observedStream[reason] = String(finishOf(await streamChunks({ model: G25, messages: user('x') }))[0]);
    }
    assert.deepEqual({ observed, observedStream }, { observed: expected, observedStream: expected });
  });

  it('a failed function call (MALFORMED_FUNCTION_CALL) keeps Gemini\'s finishMessage in the client\'s error (found by the audit)', async () => {
    // [S-FR] Candidate.finishMessage "Describes the reason the model stopped generating tokens";
    // for MALFORMED_FUNCTION_CALL it holds the call the model tried to write.
    const finishMessage = "Malformed function call: print(default_api.get_weather(city='Oslo', units=celsius))";
    queue.push(json(response([candidate(null, 'MALFORMED_FUNCTION_CALL', { finishMessage })])));
    const out = await post({ model: G25, messages: user('weather?'), tools: [WEATHER_TOOL] });
    assert.equal(out.status, 502, out.text);
    // Before the fix: "… a function call the model wrote was malformed (MALFORMED_FUNCTION_CALL)." only.
    assert.match(out.json.error.message, /default_api\.get_weather/, out.json.error.message);
  });
});

// ==========================================================================================
// Checked and fine
// ==========================================================================================

describe('checked and fine', () => {
  it('fine: response parts Iris does not translate (thought, thoughtSignature-only, inlineData, executableCode, codeExecutionResult, fileData) neither crash nor leak; thoughts are reasoning, text is content, functionCall ids kept', async () => {
    const parts = [
      { text: 'Thinking about the photo.', thought: true, thoughtSignature: 'c2ln' },
      { text: '', thoughtSignature: 'c2lnMg==' }, // Gemini 3 sends signature-only parts [S-PART]
      { text: 'It is a cat.' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { executableCode: { language: 'PYTHON', code: 'print(1)' } },
      { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '1\n' } },
      { fileData: { mimeType: 'image/png', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } },
      { functionCall: { id: 'fc_9', name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: 'c2lnMw==' },
      {},
    ];
    queue.push(json(response([candidate(parts, 'STOP', { finishMessage: 'ok', safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' }], citationMetadata: { citations: [{ startIndex: 0, endIndex: 3, uri: 'https://x' }] }, groundingMetadata: {}, avgLogprobs: -0.1 })], {
      promptTokenCount: 300, totalTokenCount: 330, thoughtsTokenCount: 20, candidatesTokenCount: 10, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 42 }, { modality: 'IMAGE', tokenCount: 258 }], candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 10 }], trafficType: 'ON_DEMAND',
    })));
    const out = await post({ model: G25, messages: user('what is it?'), tools: [WEATHER_TOOL] });
    assert.equal(out.status, 200, out.text);
    assertChatCompletion(out.json);
    const choice = out.json.choices[0];
    assert.equal(choice.message.content, 'It is a cat.');
    assert.equal(choice.message.reasoning_content, 'Thinking about the photo.');
    assert.equal(choice.message.tool_calls[0].id, 'fc_9');
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(out.json.usage.completion_tokens_details.reasoning_tokens, 20);
    assert.equal(out.json.usage.prompt_tokens_details.image_tokens, 258);

    // The same streamed, split as Gemini splits it (thought first, calls alone in their events,
    // finishReason and cumulative usage last).
    queue.push({
      kind: 'sse',
      events: [
        response([candidate(parts.slice(0, 2))], { promptTokenCount: 300, totalTokenCount: 300 }),
        response([candidate(parts.slice(2, 7))], { promptTokenCount: 300, totalTokenCount: 310 }),
        response([candidate(parts.slice(7, 8))], { promptTokenCount: 300, totalTokenCount: 320 }),
        response([candidate([{ text: '' }], 'STOP')], { promptTokenCount: 300, candidatesTokenCount: 10, thoughtsTokenCount: 20, totalTokenCount: 330 }),
      ],
    });
    const chunks = await streamChunks({ model: G25, messages: user('what is it?'), tools: [WEATHER_TOOL], stream_options: { include_usage: true } });
    assert.equal(contentOf(chunks), 'It is a cat.');
    assert.equal(reasoningOf(chunks), 'Thinking about the photo.');
    assert.deepEqual(chunks.flatMap((c) => c.choices.flatMap((ch) => ch.delta.tool_calls ?? [])).map((t) => [t.index, t.id]), [[0, 'fc_9']]);
    assert.deepEqual(finishOf(chunks), ['tool_calls']);
    assert.deepEqual([chunks.at(-1)!.usage!.prompt_tokens, chunks.at(-1)!.usage!.completion_tokens], [300, 30]);
  });

  it('fine: a candidate with no content (SAFETY, or every token spent thinking → MAX_TOKENS without candidatesTokenCount), and usage with toolUse/cache counts', async () => {
    queue.push(json(response([candidate(null, 'SAFETY', { safetyRatings: [{ category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true }] })])));
    let out = await post({ model: G25, messages: user('x') });
    assertChatCompletion(out.json);
    assert.deepEqual([out.json.choices[0].message.content, out.json.choices[0].finish_reason], [null, 'content_filter']);

    // All thoughts: no candidatesTokenCount at all [S-USAGE]; total = prompt + toolUse + thoughts.
    queue.push(json(response([candidate([{ text: 'hmm', thought: true }], 'MAX_TOKENS')], {
      promptTokenCount: 100, toolUsePromptTokenCount: 7, cachedContentTokenCount: 64, thoughtsTokenCount: 50, totalTokenCount: 157,
      promptTokensDetails: [{ modality: 'TEXT', tokenCount: 100 }], cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 64 }], toolUsePromptTokensDetails: [{ modality: 'TEXT', tokenCount: 7 }],
    })));
    out = await post({ model: G25, messages: user('x'), max_tokens: 50 });
    assertChatCompletion(out.json);
    assert.deepEqual([out.json.choices[0].message.content, out.json.choices[0].finish_reason], ['', 'length']);
    const u = out.json.usage;
    assert.deepEqual([u.prompt_tokens, u.completion_tokens, u.total_tokens, u.prompt_tokens_details.cached_tokens, u.completion_tokens_details.reasoning_tokens], [107, 50, 157, 64, 50]);

    // A prompt blocked outright (promptFeedback, no candidates) — any BlockedReason, incl. newer ones.
    queue.push(json({ promptFeedback: { blockReason: 'IMAGE_SAFETY', safetyRatings: [] }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, modelVersion: 'gemini-audit' }));
    out = await post({ model: G25, messages: user('x') });
    assertChatCompletion(out.json);
    assert.equal(out.json.choices[0].finish_reason, 'content_filter');
    assert.match(out.json.choices[0].message.refusal, /IMAGE_SAFETY/);
  });

  it('fine: google.rpc.Status errors with details reach the client with their status class and Gemini\'s own message (API_KEY_INVALID → 401, RetryInfo → Retry-After)', async () => {
    const quota = [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaValue: '10' }] },
      { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26.417s' },
    ];
    const cases: Array<[Reply, number, string, RegExp]> = [
      [googleError(400, 'INVALID_ARGUMENT', 'API key expired. Please renew the API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]), 401, 'authentication_error', /API key expired/],
      [googleError(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents[0].parts[0].data: required oneof field', [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'contents[0].parts[0].data', description: 'required oneof field' }] }]), 400, 'invalid_request_error', /required oneof/],
      [googleError(403, 'PERMISSION_DENIED', 'Generative Language API has not been used in project 123 before or it is disabled.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'SERVICE_DISABLED', domain: 'googleapis.com' }]), 403, 'permission_error', /has not been used/],
      [googleError(404, 'NOT_FOUND', 'models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.'), 404, 'not_found_error', /is not found for API version/],
      [googleError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', quota), 429, 'rate_limit_error', /exceeded your current quota/],
      [googleError(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'), 502, 'upstream_error', /internal error/],
      [googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'), 503, 'overloaded_error', /overloaded/],
      [googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'), 504, 'timeout_error', /Deadline expired/],
    ];
    for (const [reply, status, type, message] of cases) {
      queue.push(reply);
      const out = await post({ model: G25, messages: user('x') });
      assert.equal(out.status, status, out.text);
      assert.equal(out.json.error.type, type, out.text);
      assert.match(out.json.error.message, message, out.text);
      if (status === 429) assert.equal(out.headers.get('retry-after'), '27');
    }
  });

  it('fine: a function name OpenAI allows but Gemini refuses (leading digit) comes back as a 400 carrying Gemini\'s rule', async () => {
    // OpenAI allows ^[a-zA-Z0-9_-]{1,64}$; Gemini wants a leading letter or underscore [S-FD][I-NAME].
    queue.push({
      kind: 'fn',
      fn: (req) => (/^[A-Za-z_]/.test(req.body.tools[0].functionDeclarations[0].name)
        ? defaultReply(req)
        : googleError(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.tools[0].function_declarations[0].name: Invalid function name. Must start with a letter or an underscore. Must be alphameric (a-z, A-Z, 0-9), underscores (_), dots (.), colons (:) or dashes (-), with a maximum length of 64.\n')),
    });
    const out = await post({ model: G25, messages: user('x'), tools: [{ type: 'function', function: { name: '3d_render' } }] });
    assert.equal(out.status, 400, out.text);
    assert.match(out.json.error.message, /Invalid function name\. Must start with a letter or an underscore/);
  });

  it('fine: tool_choice named/required → ANY + allowedFunctionNames; Gemini 3 replays are accepted by the signature rule; schemas go as JSON Schema (const, format uri, integer enum, additionalProperties kept)', async () => {
    await post({
      model: G3,
      messages: [
        ...user('x'),
        { role: 'assistant', content: null, tool_calls: [{ id: 'a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }, { id: 'b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } }] },
        { role: 'tool', tool_call_id: 'a', content: '4' },
        { role: 'tool', tool_call_id: 'b', content: '21' },
      ],
      tools: [WEATHER_TOOL, { type: 'function', function: { name: 'pick', parameters: { type: 'object', additionalProperties: false, properties: { kind: { const: 'fixed' }, url: { type: 'string', format: 'uri' }, level: { type: 'integer', enum: [1, 2, 3] } } } } }],
      tool_choice: { type: 'function', function: { name: 'pick' } },
    });
    const body = requests.at(-1)!.body;
    assert.deepEqual(body.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['pick'] } });
    // Parallel calls: one model Content, the first call signed (the documented rule), responses in one user Content.
    assert.deepEqual(body.contents[1].parts.map((p: any) => p.thoughtSignature), ['skip_thought_signature_validator', undefined]);
    assert.equal(body.contents[2].parts.length, 2);
    // Gemini 3 takes JSON Schema as it is (parametersJsonSchema): nothing to convert or lose.
    const declaration = body.tools[0].functionDeclarations[1];
    assert.equal(declaration.parameters, undefined);
    assert.deepEqual(declaration.parametersJsonSchema, { type: 'object', additionalProperties: false, properties: { kind: { const: 'fixed' }, url: { type: 'string', format: 'uri' }, level: { type: 'integer', enum: [1, 2, 3] } } });
  });
});
