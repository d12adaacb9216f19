import { invalidRequest } from '../../openai/api-error.ts';
import type { ChatCompletionRequest } from '../../openai/types.ts';
import type { AnthropicRequest } from './anthropic-wire.ts';
import { claudeVersion } from './claude-version.ts';
import { mapAnthropicTemperature, type TemperaturePolicy } from './map-anthropic-temperature.ts';

// The sampling settings of a request sent without thinking. Claude models released after Opus
// 4.6 (4.7 and later, and families newer than those claude-version.ts names) answer 400 to a
// temperature other than 1, to any top_k and to a top_p below 0.99 (wire-formats.md §2e). Most
// OpenAI clients send a temperature on every request, so under `clamp` and `scale` what such a
// model would refuse is left out, as beside thinking: a hint the model cannot take. Under
// `refuse` the client is told instead, in OpenAI's words for a model that takes only the default.
// top_p is never sent to such models: values of 0.99 and more are the default in all but name,
// and Opus 4.8 has been seen refusing even 1. top_k -1 means "off" (as in vLLM): never sent.
// Claude 4.1 to 4.6 take temperature or top_p but answer 400 to both ("cannot both be
// specified for this model"): beside a temperature, top_p is left out (a top_p of 0.99 or more
// under every policy, as the default it nearly is; a lower one is refused under `refuse`).

export type AnthropicSampling = Pick<AnthropicRequest, 'temperature' | 'top_p' | 'top_k'>;
type SamplingRequest = Pick<ChatCompletionRequest, 'model' | 'temperature' | 'top_p' | 'top_k'>;

/** The lowest top_p the newer models accept. */
const MIN_TOP_P = 0.99;

/**
 * The first `anthropic-version` whose requests take no temperature, top_p or top_k at all, not
 * even their defaults ("Extra inputs are not permitted"): the official SDK 1.x sends it, and its
 * request type has none of the three.
 */
const NO_SAMPLING_VERSION = '2026-10-21';

export function anthropicSampling(request: SamplingRequest, policy: TemperaturePolicy, apiVersion = '2023-06-01'): AnthropicSampling {
  const topK = request.top_k === -1 ? null : request.top_k;
  // Versions are dates: they order as strings.
  if (apiVersion >= NO_SAMPLING_VERSION) {
    if (policy === 'refuse') refuseNonDefaults(request.temperature, request.top_p, topK);
    return {};
  }
  const onlyDefaults = takesOnlyDefaults(request.model);
  if (onlyDefaults && policy === 'refuse') refuseNonDefaults(request.temperature, request.top_p, topK);
  const sampling: AnthropicSampling = {};
  const temperature = mapAnthropicTemperature(request.temperature, policy);
  if (temperature !== undefined && (temperature === 1 || !onlyDefaults)) sampling.temperature = temperature;
  if (onlyDefaults) return sampling;
  if (request.top_p != null) {
    if (sampling.temperature === undefined || !takesOneOfTwo(request.model)) sampling.top_p = request.top_p;
    else if (policy === 'refuse' && request.top_p < MIN_TOP_P) {
      throw invalidRequest("Unsupported parameter: 'top_p' cannot be set together with 'temperature' with this model. Set only one of them.", 'top_p', 'unsupported_parameter');
    }
  }
  if (topK != null) sampling.top_k = topK;
  return sampling;
}

/** Claude 4.7 and later, and Claude families newer than the ones claude-version.ts knows. */
function takesOnlyDefaults(model: string): boolean {
  const version = claudeVersion(model);
  return version === 'newer-family' || (typeof version === 'number' && version >= 47);
}

/** Claude 4.1 to 4.6: temperature or top_p, not both. */
function takesOneOfTwo(model: string): boolean {
  const version = claudeVersion(model);
  return typeof version === 'number' && version >= 41 && version < 47;
}

function refuseNonDefaults(temperature: number | null | undefined, topP: number | null | undefined, topK: number | null | undefined): void {
  if (temperature != null && temperature !== 1) {
    throw invalidRequest(`Unsupported value: 'temperature' does not support ${temperature} with this model. Only the default (1) value is supported.`, 'temperature', 'unsupported_value');
  }
  if (topP != null && topP < MIN_TOP_P) {
    throw invalidRequest(`Unsupported value: 'top_p' does not support ${topP} with this model. Only values of ${MIN_TOP_P} or more are supported.`, 'top_p', 'unsupported_value');
  }
  if (topK != null) {
    throw invalidRequest("Unsupported parameter: 'top_k' is not supported with this model.", 'top_k', 'unsupported_parameter');
  }
}
