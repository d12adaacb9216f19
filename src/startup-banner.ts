import type { IrisConfig } from './config/config-schema.ts';

// What a person sees when Iris starts: where it listens, what it serves, how to try it.

export interface BannerInfo {
  config: IrisConfig & { source: string | null };
  address: string;
  models: string[];
  createdKey: string | null;
}

export function bannerText({ config, address, models, createdKey }: BannerInfo): string {
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
  const base = url.origin;
  const lines = [
    '',
    `  Iris is listening on ${address}`,
    `  config:  ${config.source ?? '(defaults; no iris.config.yaml)'}   data: ${config.data_dir}`,
    `  models:  ${models.length ? models.join(', ') : '(none configured)'}`,
  ];
  if (!config.auth.enabled) lines.push('  auth:    OFF (auth.enabled: false) - anyone who can reach this port can use it');
  else if (createdKey) {
    lines.push('', '  A first API key was created. It is shown only this once; Iris keeps only its hash:', '', `      ${createdKey}`);
  } else lines.push(`  auth:    on (${config.auth.keys.length ? 'keys from IRIS_API_KEYS' : `key hashes in ${config.data_dir}/api-keys.json`})`);
  const key = createdKey ?? (config.auth.keys.length === 1 ? config.auth.keys[0] : '$IRIS_API_KEY');
  const model = models[0] ?? 'MODEL';
  const body = JSON.stringify({
    model,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is in this image?' }, { type: 'image_url', image_url: { url: 'https://example.com/photo.jpg' } }] }],
  });
  lines.push(
    '',
    '  Try it:',
    `    curl ${base}/v1/chat/completions \\`,
    `      -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\`,
    `      -d '${body}'`,
    '',
    `  OpenAI SDK: new OpenAI({ baseURL: '${base}/v1', apiKey: '…' })`,
    '',
  );
  return lines.join('\n');
}

export function printBanner(info: BannerInfo): void {
  process.stderr.write(`${bannerText(info)}\n`);
}
