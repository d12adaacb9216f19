import { z } from 'zod';
import { configSchema } from './config-schema.ts';

// A validation issue said as a person fixing a config file needs it: a missing key is
// "required", a wrong type names what was written, and an unknown key (a typo, most often)
// names the key meant. The schema's own messages ("must be 0–65535") are kept as they are;
// only zod's generic texts are reworded.

type Issue = z.core.$ZodIssue;

/** What to say of one issue; `value` is what the config holds at the issue's path. */
export function describeConfigIssue(issue: Issue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (!isGeneric(issue.message)) return issue.message;
      if (value === undefined) return `required (${article(issue.expected)})`;
      return `must be ${article(issue.expected)}, not ${describeValue(value)}`;
    case 'too_small':
    case 'too_big':
      return isGeneric(issue.message) ? sizeMessage(issue) : issue.message;
    case 'unrecognized_keys':
      return issue.keys.map((key) => unknownKey(key, knownKeysAt(issue.path))).join('; ');
    default:
      return issue.message;
  }
}

/** The value at a path of the config as read (for what to say of it). */
export function valueAt(config: unknown, path: readonly PropertyKey[]): unknown {
  let node = config;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

// zod's own texts all open so; messages written in the schema do not.
const isGeneric = (message: string) => /^(Invalid input|Too small|Too big)\b/.test(message);

function sizeMessage(issue: Extract<Issue, { code: 'too_small' | 'too_big' }>): string {
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  const word = issue.code === 'too_small' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  switch (issue.origin) {
    case 'string':
      return `must be ${word} ${String(bound)} characters long`;
    case 'array':
    case 'set':
      return `must hold ${word} ${String(bound)} entries`;
    default:
      return `must be ${word} ${String(bound)}`;
  }
}

function article(type: string): string {
  if (type === 'array') return 'a list';
  if (type === 'object' || type === 'record') return 'a mapping (key: value)';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return `${article(typeof value)} (${text.length > 40 ? `${text.slice(0, 37)}...` : text})`;
}

function unknownKey(key: string, known: string[]): string {
  const meant = closest(key, known);
  if (meant) return `unknown key "${key}" (did you mean "${meant}"?)`;
  return known.length > 0 ? `unknown key "${key}" (known here: ${known.join(', ')})` : `unknown key "${key}"`;
}

/** The nearest known key within two edits (or a different case), if exactly one is nearest. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(key.length / 3)) + 1;
  let tie = false;
  for (const candidate of known) {
    const distance = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, candidate);
    if (distance < bestDistance) [best, bestDistance, tie] = [candidate, distance, false];
    else if (distance === bestDistance) tie = true;
  }
  return tie ? undefined : best;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit (provders, porvider). */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

type JsonSchema = { properties?: Record<string, JsonSchema>; items?: JsonSchema; additionalProperties?: JsonSchema | boolean; anyOf?: JsonSchema[]; oneOf?: JsonSchema[]; allOf?: JsonSchema[] };

let schemaDocument: JsonSchema | undefined;

/** The keys the schema knows for the mapping at `path` (each provider type's, for a provider). */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  // Built on the first unknown key only: nothing on the way of a good config pays for it.
  schemaDocument ??= z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  let nodes: JsonSchema[] = [schemaDocument];
  for (const key of path) {
    nodes = nodes.flatMap(alternatives).flatMap((node) => {
      const next = typeof key === 'number' ? node.items : (node.properties?.[String(key)] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined));
      return next ? [next] : [];
    });
  }
  return [...new Set(nodes.flatMap(alternatives).flatMap((node) => Object.keys(node.properties ?? {})))];
}

/** A node and the alternatives it stands for (a union's branches), flattened. */
function alternatives(node: JsonSchema): JsonSchema[] {
  const branches = [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])];
  return [node, ...branches.flatMap(alternatives)];
}
