import { createHash } from 'node:crypto';
import type { Route } from './model-registry.ts';

// OpenAI's system_fingerprint names the backend configuration an answer came from, so that a
// client using `seed` can tell when it changed. When an upstream sends none, or null (OpenAI
// sometimes does, though its schema types the field as a string), the configuration Iris can
// vouch for is the route: provider and upstream model. That fingerprint changes when an operator
// re-points the model and only then, which is what a client comparing fingerprints needs; a
// random or per-process value would signal changes that did not happen.

const fingerprints = new WeakMap<Route, string>();

export function routeFingerprint(route: Route): string {
  let fingerprint = fingerprints.get(route);
  if (fingerprint === undefined) {
    const config = `${route.provider.type}\0${route.provider.id}\0${route.upstreamModel}`;
    fingerprint = `fp_iris_${createHash('sha256').update(config).digest('hex').slice(0, 10)}`;
    fingerprints.set(route, fingerprint);
  }
  return fingerprint;
}
