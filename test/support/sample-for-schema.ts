// A value that fits a JSON schema (or Gemini's OpenAPI subset, whose types are upper case), so
// that the fakes can answer a forced tool call or a JSON-mode request with something valid.

export function sampleFor(schema: any): any {
  if (!schema || typeof schema !== 'object') return null;
  if (schema.enum) return schema.enum[0];
  switch (String(schema.type ?? '').toLowerCase()) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sampleFor(v)]));
    case 'array':
      return [sampleFor(schema.items)];
    case 'string':
      return 'fake';
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
}
