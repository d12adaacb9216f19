// A normal answer in each upstream dialect, as its wire carries it (wire-formats.md): one JSON
// body, or the SSE frames of a stream that says `words`. For tests that script a raw upstream
// and need the ordinary answer beside the odd one they are about.

export type Dialect = 'openai' | 'anthropic' | 'gemini';

export interface FrameOptions {
  /** End as each dialect ends an answer (finish reason, usage); default true. */
  finish?: boolean;
  /** Send the end marker (`[DONE]`, `message_stop`); default: when finishing. Gemini has none. */
  end?: boolean;
  /** An Anthropic `ping` after the first content block opens. */
  ping?: boolean;
}

/** The SSE frames of a stream that says `words`, `\n` line endings. */
export function dialectFrames(dialect: Dialect, words: string[], { finish = true, end = finish, ping = false }: FrameOptions = {}): string[] {
  const out: string[] = [];
  if (dialect === 'openai') {
    const chunk = (choices: unknown[], usage?: unknown) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'gpt-4o', choices, ...(usage ? { usage } : {}) })}\n\n`;
    out.push(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    for (const w of words) out.push(chunk([{ index: 0, delta: { content: w }, finish_reason: null }]));
    if (finish) {
      out.push(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
      out.push(chunk([], { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length }));
    }
    if (end) out.push('data: [DONE]\n\n');
  } else if (dialect === 'anthropic') {
    const ev = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
    out.push(ev('message_start', { message: { id: 'msg_fake', type: 'message', role: 'assistant', content: [], model: 'claude-x', stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } }));
    out.push(ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
    if (ping) out.push(ev('ping', {}));
    for (const w of words) out.push(ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } }));
    if (finish) {
      out.push(ev('content_block_stop', { index: 0 }));
      out.push(ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: words.length } }));
    }
    if (end) out.push(ev('message_stop', {}));
  } else {
    words.forEach((w, i) => {
      const last = finish && i === words.length - 1;
      out.push(`data: ${JSON.stringify({
        candidates: [{ content: { role: 'model', parts: [{ text: w }] }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
        usageMetadata: { promptTokenCount: 5, ...(last ? { candidatesTokenCount: words.length } : {}), totalTokenCount: 5 + (last ? words.length : 0) },
        modelVersion: 'gemini-x',
        responseId: 'fake',
      })}\n\n`);
    });
  }
  return out;
}

/** A non-streamed answer saying `text`, counted as 5 prompt tokens and `completionTokens`. */
export function dialectAnswer(dialect: Dialect, text: string, completionTokens = 1): Record<string, unknown> {
  const total = 5 + completionTokens;
  if (dialect === 'openai') {
    return {
      id: 'chatcmpl-fake', object: 'chat.completion', created: 1_700_000_000, model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: completionTokens, total_tokens: total },
    };
  }
  if (dialect === 'anthropic') {
    return {
      id: 'msg_fake', type: 'message', role: 'assistant', content: [{ type: 'text', text }], model: 'claude-x',
      stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: completionTokens },
    };
  }
  return {
    candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 5, candidatesTokenCount: completionTokens, totalTokenCount: total }, modelVersion: 'gemini-x', responseId: 'fake',
  };
}
