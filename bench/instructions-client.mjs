// Sends N chat requests one after another on one keep-alive connection and reads each answer to
// the end; bench/instructions.sh counts the gateway's instructions around it. Exits non-zero on
// any answer that is not a 200, so a broken gateway is not measured as a fast one.
//
//   node bench/instructions-client.mjs <url> <key> <small|stream> <count>
import { Agent, request } from 'undici';

const [url, key, kind, count] = process.argv.slice(2);
const messages = [
  { role: 'system', content: 'You are a concise assistant.' },
  { role: 'user', content: 'In one short sentence, what is the capital of France and why is it famous?' },
];
const bodies = {
  small: { model: 'gpt-4o-mini', messages, max_tokens: 64, temperature: 0.2 },
  stream: { model: 'gpt-4o-mini', messages, max_tokens: 64, stream: true, stream_options: { include_usage: true } },
};
if (!bodies[kind]) throw new Error(`unknown kind ${kind}: small or stream`);
const body = JSON.stringify(bodies[kind]);
const dispatcher = new Agent({ connections: 1 });

for (let i = 0; i < Number(count); i++) {
  const res = await request(url, {
    method: 'POST',
    dispatcher,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`request ${i}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
}
await dispatcher.close();
