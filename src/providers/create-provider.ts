import type { ProviderConfig } from '../config/providers-config.ts';
import { OpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider.ts';
import type { Provider } from './provider.ts';

// One place that knows every provider type: config → Provider.

export function createProvider(id: string, config: ProviderConfig): Provider {
  switch (config.type) {
    case 'openai':
      return new OpenAICompatibleProvider(id, config);
    case 'anthropic':
    case 'gemini':
      throw new Error(`providers.${id}: type '${config.type}' is not available in this build yet`);
  }
}
