import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Provider } from '../providers/provider.ts';
import type { Route } from './model-registry.ts';
import { routeFingerprint } from './system-fingerprint.ts';

const route = (providerId: string, upstreamModel: string): Route =>
  ({ name: 'm', provider: { id: providerId, type: 'openai' } as Provider, upstreamModel }) as Route;

describe('routeFingerprint', () => {
  it('is the same for the same provider and upstream model, across route objects', () => {
    const fingerprint = routeFingerprint(route('up', 'gpt-4o'));
    assert.match(fingerprint, /^fp_iris_[0-9a-f]{10}$/);
    assert.equal(routeFingerprint(route('up', 'gpt-4o')), fingerprint);
  });

  it('changes when the route points at another upstream model or provider', () => {
    const fingerprint = routeFingerprint(route('up', 'gpt-4o'));
    assert.notEqual(routeFingerprint(route('up', 'gpt-4o-mini')), fingerprint);
    assert.notEqual(routeFingerprint(route('other', 'gpt-4o')), fingerprint);
  });
});
