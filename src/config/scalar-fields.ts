import { z } from 'zod';

// `${VAR}` substitution is textual: a substituted value is always a string, so
// `api_key: "${KEY}"` stays a string whatever KEY holds. Only fields that want a number or a
// boolean read such text as one (`timeout_ms: ${TIMEOUT}`, `enabled: ${FLAG}`).

const NUMBER = /^-?\d+(\.\d+)?$/;

/** `schema` (a z.number() chain) that also takes its number written as text. */
export function num<T extends z.ZodType<number>>(schema: T) {
  return z.preprocess((value) => (typeof value === 'string' && NUMBER.test(value) ? Number(value) : value), schema);
}

/** A boolean that also takes `true`/`false` written as text. */
export function bool() {
  return z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());
}
