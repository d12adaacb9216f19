// What an upstream received, in one shape for every provider, so the conformance cases can
// check "the upstream got two images, inline, in the second user turn" without knowing the
// dialect. Each provider descriptor reads its own wire format into this.

import { createHash } from 'node:crypto';

export type ReceivedImage = { kind: 'url'; url: string } | { kind: 'inline'; mediaType: string; bytes: number; sha256: string };

/** An inline image as received: its media type, and its size and hash once decoded. */
export function inlineImage(mediaType: string, base64: string): ReceivedImage {
  const bytes = Buffer.from(base64, 'base64');
  return { kind: 'inline', mediaType, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

export interface ReceivedTurn {
  role: 'user' | 'assistant';
  text: string;
  images: ReceivedImage[];
  /** Names of the functions the assistant called in this turn. */
  toolCalls: string[];
  /** Tool results carried by this turn (as text). */
  toolResults: string[];
}

export interface ReceivedRequest {
  model: string;
  stream: boolean;
  system: string;
  turns: ReceivedTurn[];
  maxTokens: number | null;
  stop: string[];
  /** The request asked for JSON output, by whatever means the dialect has. */
  json: boolean;
  tools: string[];
  /**
   * How the upstream was asked to think, in its dialect's words: the reasoning_effort as sent
   * (OpenAI), `adaptive <effort>` or `budget <tokens>` (Anthropic), `level <level>` or
   * `budget <tokens>` (Gemini); null when it was not.
   */
  reasoning: string | null;
  /** The verbosity as sent, for the dialects that have one (OpenAI's). */
  verbosity: string | null;
}

export function allImages(received: ReceivedRequest): ReceivedImage[] {
  return received.turns.flatMap((t) => t.images);
}
