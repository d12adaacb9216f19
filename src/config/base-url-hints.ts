import { withoutCredentials } from '../without-credentials.ts';
import type { ProviderConfig } from './providers-config.ts';

// The base_url mistakes that every request would pay for with an upstream 404 that looks like
// anything but a wrong URL: an OpenAI-compatible server named without its /v1 (Ollama, vLLM,
// LM Studio and llama.cpp all serve under it), Anthropic's and Gemini's with the version
// path Iris adds itself, or any with the whole endpoint pasted in (/v1/messages, /v1beta/models/…). Start-up names them; it does not
// refuse them, since a proxy may mount an API anywhere.

/** The paths Iris adds to each type's base_url: a base_url that ends in one is doubled up. */
const ENDPOINTS: Record<ProviderConfig['type'], { path: RegExp; adds: string }> = {
  openai: { path: /\/chat\/completions$/, adds: '/chat/completions' },
  anthropic: { path: /\/v1\/messages$/, adds: '/v1/messages' },
  gemini: { path: /\/v1(beta)?\/models(\/[^/]*)?$/, adds: '/v1beta/models/…' },
};

export function baseUrlHints(providers: Record<string, ProviderConfig>): string[] {
  const hints: string[] = [];
  for (const [id, provider] of Object.entries(providers)) {
    if (!provider.base_url) continue;
    const url = new URL(provider.base_url);
    const path = url.pathname.replace(/\/+$/, '');
    const where = `providers.${id}.base_url (${withoutCredentials(provider.base_url)})`;
    const endpoint = ENDPOINTS[provider.type];
    const at = endpoint.path.exec(path)?.index;
    if (at !== undefined) {
      hints.push(`${where} is a whole endpoint; Iris adds ${endpoint.adds} itself: did you mean ${url.origin}${path.slice(0, at)}?`);
    } else if (provider.type === 'openai' && path === '') {
      hints.push(`${where} has no path; OpenAI-compatible servers serve under /v1: did you mean ${url.origin}/v1?`);
    } else if (provider.type === 'anthropic' && /\/v1$/.test(path)) {
      hints.push(`${where} ends in /v1, which Iris adds itself (/v1/messages): did you mean ${url.origin}${path.slice(0, -3)}?`);
    } else if (provider.type === 'gemini' && /\/v1(beta)?$/.test(path)) {
      const trimmed = path.replace(/\/v1(beta)?$/, '');
      hints.push(`${where} ends in a version, which Iris adds itself (/v1beta/models/…): did you mean ${url.origin}${trimmed}?`);
    }
  }
  return hints;
}
