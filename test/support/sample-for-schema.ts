// A value that fits a JSON schema (or Gemini's OpenAPI subset, whose types are upper case), so
// that the fakes can answer a forced tool call or a JSON-mode request with something valid.
// Local $refs are followed; a recursive schema ends in empty lists a few levels down.

export function sampleFor(schema: any, root: any = schema, depth = 0): any {
  if (!schema || typeof schema !== 'object') return null;
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace(/^#\/(\$defs|definitions)\//, '');
    return sampleFor(root.$defs?.[name] ?? root.definitions?.[name], root, depth + 1);
  }
  if (schema.enum) return schema.enum[0];
  if (schema.const !== undefined) return schema.const;
  const branch = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (branch && schema.type === undefined) return sampleFor(branch, root, depth);
  switch (String(schema.type ?? '').toLowerCase()) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sampleFor(v, root, depth + 1)]));
    case 'array':
      if (Array.isArray(schema.prefixItems)) return schema.prefixItems.map((item: any) => sampleFor(item, root, depth + 1));
      return depth > 4 ? [] : [sampleFor(schema.items, root, depth + 1)];
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
