import type { FinishReason } from '../../openai/types.ts';

// Anthropic stop_reason → OpenAI finish_reason.

export function mapAnthropicStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    // end_turn, stop_sequence, pause_turn (a server tool paused the turn; what was said stands)
    default:
      return 'stop';
  }
}
