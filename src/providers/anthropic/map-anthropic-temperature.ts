import { invalidRequest } from '../../openai/api-error.ts';

// OpenAI clients send temperature 0..2; Anthropic takes 0..1. The provider's config decides:
// clamp (values over 1 become 1), scale (halve the whole range) or refuse (400 above 1).

export type TemperaturePolicy = 'clamp' | 'scale' | 'refuse';

export function mapAnthropicTemperature(temperature: number | null | undefined, policy: TemperaturePolicy): number | undefined {
  if (temperature == null) return undefined;
  switch (policy) {
    case 'scale':
      return temperature / 2;
    case 'refuse':
      if (temperature > 1) {
        throw invalidRequest(`temperature ${temperature} is out of range for this model: it takes 0 to 1`, 'temperature', 'unsupported_value');
      }
      return temperature;
    case 'clamp':
      return Math.min(temperature, 1);
  }
}
