// The generation of a Gemini model, read from its id (`gemini-2.5-flash`,
// `gemini-3-pro-preview`, `models/gemini-3.1-flash-lite`); undefined for an id that names
// none (`gemini-flash-latest`, a proxy's own names). Thought signatures and thinking settings
// differ by generation.

export interface GeminiVersion {
  major: number;
  minor: number;
}

export function geminiVersion(model: string): GeminiVersion | undefined {
  const match = /gemini-(\d+)(?:\.(\d+))?/.exec(model.toLowerCase());
  return match ? { major: Number(match[1]), minor: Number(match[2] ?? 0) } : undefined;
}
