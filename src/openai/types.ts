// The public contract: OpenAI Chat Completions shapes as Iris accepts and returns them.
// Written from OpenAI's OpenAPI document (CreateChatCompletionRequest/Response/StreamResponse).

export type Role = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
export type ImageDetail = 'auto' | 'low' | 'high' | 'original';

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: ImageDetail };
}

export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

/** Passed on to OpenAI-compatible upstreams as they are; Iris itself reads no audio. */
export interface AudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: 'wav' | 'mp3' };
}

export interface FilePart {
  type: 'file';
  file: { filename?: string; file_data?: string; file_id?: string };
}

export type ContentPart = TextPart | ImagePart | RefusalPart | AudioPart | FilePart;

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /**
   * Gemini's thought signature for the call, where Google's own OpenAI-compatible endpoint puts
   * it; clients that send the message back unchanged return it (providers/gemini).
   */
  extra_content?: { google?: { thought_signature?: string } };
}

export interface CustomToolCall {
  id: string;
  type: 'custom';
  custom: { name: string; input: string };
}

export interface ChatMessage {
  role: Role;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: (ToolCall | CustomToolCall)[];
  tool_call_id?: string;
  refusal?: string | null;
  /** Deprecated: what `tool_calls` replaced. */
  function_call?: { name: string; arguments: string } | null;
  /** A previous audio answer of the model, by id. */
  audio?: { id: string } | null;
  [extra: string]: unknown;
}

export interface FunctionTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
}

export interface CustomTool {
  type: 'custom';
  custom: { name: string; description?: string; format?: Record<string, unknown> };
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'custom'; custom: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: { mode: 'auto' | 'required'; tools: Record<string, unknown>[] } };

/** How hard a reasoning model thinks; `none` asks for no reasoning. */
export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'max';
export type Verbosity = 'low' | 'medium' | 'high';

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
    };

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  n?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean; [extra: string]: unknown } | null;
  stop?: string | string[] | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  seed?: number | null;
  user?: string;
  response_format?: ResponseFormat;
  tools?: (FunctionTool | CustomTool)[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  reasoning_effort?: ReasoningEffort | null;
  verbosity?: Verbosity | null;
  /** Fields Iris does not know are passed on to upstreams untouched. */
  [extra: string]: unknown;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: {
    cached_tokens?: number;
    text_tokens?: number;
    image_tokens?: number;
    audio_tokens?: number;
    cache_write_tokens?: number;
  };
  completion_tokens_details?: {
    reasoning_tokens?: number;
    audio_tokens?: number;
    accepted_prediction_tokens?: number;
    rejected_prediction_tokens?: number;
  };
  /** Added by analysis mode: what describing the images cost. */
  analysis?: AnalysisUsage;
  [extra: string]: unknown;
}

export interface AnalysisUsage {
  model: string;
  images: number;
  cached_images: number;
  prompt_tokens: number;
  completion_tokens: number;
  image_tokens: number;
}

export interface ResponseMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: ToolCall[];
  reasoning_content?: string;
  [extra: string]: unknown;
}

export interface Choice {
  index: number;
  message: ResponseMessage;
  finish_reason: FinishReason | null;
  logprobs: unknown | null;
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Choice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  [extra: string]: unknown;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
  reasoning_content?: string;
  [extra: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  finish_reason: FinishReason | null;
  logprobs?: unknown | null;
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: Usage | null;
  system_fingerprint?: string | null;
  [extra: string]: unknown;
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}
