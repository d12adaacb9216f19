import type { ProviderConfig } from '../config/providers-config.ts';
import { createAnthropicProvider } from './anthropic/anthropic-provider.ts';
import { createGeminiProvider } from './gemini/gemini-provider.ts';
import { OpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider.ts';
import type { Provider } from './provider.ts';

// One place that knows every provider type: config → Provider.

export function createProvider(id: string, config: ProviderConfig): Provider {
  switch (config.type) {
    case 'openai':
      return new OpenAICompatibleProvider(id, config);
    case 'anthropic':
      return createAnthropicProvider(id, config);
    case 'gemini':
      return createGeminiProvider(id, config);
  }
}
