import type { ImageFindings } from '../findings.ts';

// `response_format: json_object` (and json_schema, which the engine cannot honour beyond
// JSON itself): the findings as a JSON document, with the prose answer alongside.

export function findingsJson(images: ImageFindings[], answer: string): string {
  return JSON.stringify(findingsDocument(images, answer));
}

/** The same as an object, for a JSON schema to pick its fields from. */
export function findingsDocument(images: ImageFindings[], answer: string): { answer: string; images: Record<string, unknown>[] } {
  return {
    answer,
    images: images.map((f, i) => {
      const { timingsMs: _timings, ...rest } = f;
      return { index: i, ...rest };
    }),
  };
}
