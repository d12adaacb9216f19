// JSON Schema (as OpenAI clients write it for tools and json_schema) → the OpenAPI-subset
// Schema Gemini takes in `responseSchema` and function `parameters`. Gemini rejects fields it
// does not know (e.g. additionalProperties, $schema), so only the known ones are kept, and
// `type: ["string","null"]` becomes `type: "string", nullable: true`.

const KEPT = new Set([
  'type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems', 'properties', 'required',
  'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example', 'anyOf', 'propertyOrdering',
  'default', 'items', 'minimum', 'maximum',
]);

export function convertToGeminiSchema(schema: unknown, defs?: Record<string, unknown>): Record<string, unknown> {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return {};
  const source = schema as Record<string, unknown>;
  const definitions = defs ?? { ...(source.$defs as object), ...(source.definitions as object) };
  // Local references are inlined: Gemini's Schema has no $ref (recursion is cut at one level).
  if (typeof source.$ref === 'string') {
    const name = source.$ref.replace(/^#\/(\$defs|definitions)\//, '');
    const target = definitions[name];
    return target ? convertToGeminiSchema(target, { ...definitions, [name]: undefined }) : {};
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!KEPT.has(key)) continue;
    if (key === 'type' && Array.isArray(value)) {
      const types = value.filter((t) => t !== 'null');
      if (types.length !== value.length) out.nullable = true;
      if (types.length === 1) out.type = types[0];
      else if (types.length > 1) out.anyOf = types.map((t) => ({ type: t }));
    } else if (key === 'properties' && value && typeof value === 'object') {
      out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convertToGeminiSchema(v, definitions)]));
    } else if (key === 'items') {
      out.items = convertToGeminiSchema(value, definitions);
    } else if (key === 'anyOf' && Array.isArray(value)) {
      const branches = value.filter((v) => (v as { type?: unknown })?.type !== 'null');
      if (branches.length !== value.length) out.nullable = true;
      if (branches.length === 1) Object.assign(out, convertToGeminiSchema(branches[0], definitions));
      else out.anyOf = branches.map((v) => convertToGeminiSchema(v, definitions));
    } else if (key === 'enum' && Array.isArray(value)) {
      out.enum = value.filter((v) => v !== null).map(String);
    } else {
      out[key] = value;
    }
  }
  if (source.const !== undefined) out.enum = [String(source.const)];
  // Gemini enums hold strings only.
  if (out.enum) out.type = 'string';
  if (typeof out.type === 'string') out.type = out.type.toUpperCase();
  return out;
}
