import assert from 'node:assert/strict';
import { SocketAddress } from 'node:net';
import { test } from 'node:test';
import { classifyAddress, isPublicAddress } from './address-policy.ts';
import { createHostRules } from './host-rules.ts';
import { redactUrl } from './redact-url.ts';

// Pure classification: none of these addresses is ever connected to.

const refused: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['::1', 'loopback'],
  ['10.0.0.1', 'private'], ['172.16.5.4', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'], ['fe80::1', 'linkLocal'], ['fe80::1%eth0', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'], ['100.127.255.255', 'carrierGradeNat'],
  ['224.0.0.1', 'multicast'], ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
  ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'], ['192.0.2.1', 'reserved'], ['198.18.0.1', 'reserved'],
  ['2001:db8::1', 'reserved'], ['fc00::1', 'uniqueLocal'], ['fd12:3456::1', 'uniqueLocal'],
  ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:10.1.2.3', 'private'], ['64:ff9b::a00:1', 'rfc6052'], ['2002:7f00:1::', '6to4'], ['2001::1', 'teredo'],
  // IPv4-compatible (deprecated) and other IPv6 outside 2000::/3, global unicast's space.
  ['::7f00:1', 'unassigned'], ['::a00:1', 'unassigned'], ['::a9fe:a9fe', 'unassigned'], ['4000::1', 'unassigned'],
  ['not-an-ip', 'invalid'], ['', 'invalid'],
  // The `::a.b.c.d` text form is IPv4-compatible (::/96), not IPv4-mapped: libuv prints an AAAA
  // record ::808:808 this way, and ipaddr.js would parse it as ::ffff:8.8.8.8 (public).
  ['::8.8.8.8', 'unassigned'], ['::93.184.216.34', 'unassigned'], ['::127.0.0.1', 'unassigned'], ['::10.0.0.1', 'unassigned'],
  // Every special-purpose block, at its edges.
  ['0.255.255.255', 'unspecified'], ['10.255.255.255', 'private'], ['100.64.0.0', 'carrierGradeNat'], ['127.0.0.0', 'loopback'],
  ['169.254.0.0', 'linkLocal'], ['172.16.0.0', 'private'], ['192.0.0.0', 'reserved'], ['192.0.0.255', 'reserved'],
  ['192.0.2.255', 'reserved'], ['192.88.99.1', 'reserved'], ['192.168.255.255', 'private'], ['198.19.255.255', 'reserved'],
  ['198.51.100.1', 'reserved'], ['203.0.113.255', 'reserved'], ['239.255.255.255', 'multicast'], ['255.255.255.254', 'reserved'],
  ['64:ff9b::8.8.8.8', 'rfc6052'], ['64:ff9b:1::a00:1', 'rfc6052'], ['2002:808:808::', '6to4'], ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ['fdff:ffff::1', 'uniqueLocal'], ['febf::1', 'linkLocal'], ['fec0::1', 'deprecatedSiteLocal'], ['ff00::', 'multicast'],
  ['100::1', 'discard'], ['2001:db8:ffff::1', 'reserved'], ['::ffff:0:a00:1', 'rfc6145'], ['::ffff:0.0.0.0', 'unspecified'],
  // Odd spellings: case, leading zeros, zone ids, brackets.
  ['FE80::1%eth0', 'linkLocal'], ['FE80:0000:0000::0001', 'linkLocal'], ['[::1]', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::FFFF:127.0.0.1', 'loopback'], [' 127.0.0.1', 'invalid'], ['8.8.8.8\n', 'invalid'],
];

for (const [address, range] of refused) {
  test(`refuses ${address || '(empty)'} (${range})`, () => {
    assert.deepEqual(classifyAddress(address), { public: false, range });
  });
}

for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '[2606:4700:4700::1111]', '172.32.0.1', '100.128.0.1']) {
  test(`allows public ${address}`, () => assert.equal(isPublicAddress(address), true));
}

test('an AAAA record in ::/96, as the resolver prints it, is judged as the IPv6 address it is', () => {
  // libuv (dns.lookup) writes ::808:808 as `::8.8.8.8`; dialling that is not dialling 8.8.8.8.
  for (const hex of ['::808:808', '::5db8:d822', '::7f00:1']) {
    const printed = new SocketAddress({ address: hex, family: 'ipv6' }).address;
    assert.equal(classifyAddress(printed).public, false, printed);
    assert.equal(classifyAddress(printed).range, classifyAddress(hex).range, printed);
  }
  assert.equal(classifyAddress('::0.0.0.1').range, 'loopback');
});

test('host rules: exact, host:port, bracketed IPv6, wildcard, canonical IP forms', () => {
  const rules = createHostRules(['images.internal', '127.0.0.1:8080', '[::1]:9000', '*.cdn.example', '0x7f000003'], ['bad.example', '*.evil.test']);
  assert.equal(rules.isAllowed('images.internal', 443), true);
  assert.equal(rules.isAllowed('IMAGES.INTERNAL.', 80), true);
  assert.equal(rules.isAllowed('127.0.0.1', 8080), true);
  assert.equal(rules.isAllowed('127.0.0.1', 8081), false);
  assert.equal(rules.isAllowed('localhost', 8080), false);
  assert.equal(rules.isAllowed('[::1]', 9000), true);
  assert.equal(rules.isAllowed('::1', 9001), false);
  assert.equal(rules.isAllowed('a.b.cdn.example', 443), true);
  assert.equal(rules.isAllowed('cdn.example', 443), false);
  assert.equal(rules.isAllowed('127.0.0.3', 80), true);
  assert.equal(rules.isDenied('bad.example', 443), true);
  assert.equal(rules.isDenied('x.evil.test', 443), true);
  assert.equal(rules.isDenied('good.example', 443), false);
});

test('host rules: a name with extra trailing dots is the same name (deny cannot be dodged with `bad.example..`)', () => {
  const rules = createHostRules([], ['bad.example', '*.evil.test']);
  assert.equal(rules.isDenied('bad.example..', 443), true);
  assert.equal(rules.isDenied('x.evil.test..', 443), true);
});

test('host rules: an IPv4 entry also matches the IPv4-mapped IPv6 spelling of that address', () => {
  // http://[::ffff:93.184.216.34]/ has the hostname `[::ffff:5db8:d822]` and dials 93.184.216.34.
  const rules = createHostRules([], ['93.184.216.34', '[::ffff:10.9.9.9]']);
  assert.equal(rules.isDenied('[::ffff:5db8:d822]', 80), true);
  assert.equal(rules.isDenied('::ffff:5db8:d822', 80), true);
  assert.equal(rules.isDenied('10.9.9.9', 80), true);
  assert.equal(rules.isDenied('[::5db8:d822]', 80), false); // IPv4-compatible: another address
});

test('redactUrl drops query, fragment and credentials', () => {
  assert.equal(redactUrl('https://user:pw@cdn.example/a/b.png?X-Amz-Signature=abc#frag'), 'https://cdn.example/a/b.png?…');
  assert.equal(redactUrl('http://host:8080/p'), 'http://host:8080/p');
  assert.equal(redactUrl('data:image/png;base64,AAAA'), 'data:…');
  assert.equal(redactUrl('::nonsense'), '(unparsable URL)');
});
