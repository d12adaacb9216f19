import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { composeAnswer } from './engine/compose/compose-answer.ts';
import { findingsJson } from './engine/compose/findings-json.ts';
import { needsText, parseQuestion } from './engine/compose/question-intent.ts';
import { EnginePool } from './engine/engine-pool.ts';
import type { ImageFindings } from './engine/findings.ts';

// `iris describe FILE|URL…` runs the recognition engine right here, no server needed;
// `iris serve` starts the server.

const HELP = `iris — self-hosted image recognition with an OpenAI-compatible API

Usage:
  iris describe [options] FILE|URL...   describe images, or answer a question about them
  iris serve [options]                  start the API server (same as npm start)
  iris help, iris --help                show this help
  iris --version                        print the version
With no command, iris prints this help to stderr and exits with status 2.

serve options (each sets the environment variable named, over the config file):
      --host HOST     address to listen on (HOST; default 0.0.0.0, all interfaces)
      --port N        port to listen on (PORT; default 8080)
      --config FILE   YAML or JSON config file (IRIS_CONFIG; default ./iris.config.yaml or .yml)

describe options:
  -p, --prompt TEXT   ask a question instead of describing, e.g.
                      --prompt "How many dogs are there?"  --prompt "What does the text say?"
      --json          print the findings (objects, counts, faces, text, colours, size) as JSON,
                      one object per line and image (JSON Lines)
  -t, --threads N     worker threads (default: one per core)
      --no-progress   no progress bar (it is shown on a terminal for more than one image)

FILE is a local image (JPEG, PNG, WebP, GIF, TIFF, AVIF...); URL is http(s), fetched
from this machine. Everything runs offline on the CPU: objects (80 COCO classes) with
counts, people and faces, printed text (OCR), dominant colours, format and size.

Examples:
  iris describe photo.jpg
  iris describe --prompt "How many people are there?" team.jpg
  iris describe --json scans/*.png > findings.jsonl
  npm run iris -- describe https://example.com/cat.jpg
`;

const MAX_URL_BYTES = 50_000_000;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command) {
    process.stderr.write(HELP);
    return 2;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
    return 0;
  }
  if (command === 'serve') return serveCommand(rest);
  if (command === 'describe') return describeCommand(rest);
  process.stderr.write(`iris: unknown command "${command}"\n\n${HELP}`);
  return 2;
}

/** Options become the environment variables npm start reads, then the server starts. */
async function serveCommand(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { host: { type: 'string' }, port: { type: 'string' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`iris serve: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.host !== undefined) process.env.HOST = values.host;
  if (values.port !== undefined) process.env.PORT = values.port;
  if (values.config !== undefined) process.env.IRIS_CONFIG = values.config;
  await import('./main.ts');
  return 0;
}

async function describeCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        prompt: { type: 'string', short: 'p' },
        json: { type: 'boolean' },
        threads: { type: 'string', short: 't' },
        'no-progress': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`iris: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals: sources } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!sources.length) {
    process.stderr.write(`iris describe: give at least one image file or URL\n\n${HELP}`);
    return 2;
  }
  const threads = values.threads ? Number(values.threads) : undefined;
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    process.stderr.write('iris describe: --threads takes a positive whole number\n');
    return 2;
  }
  const prompt = values.prompt ?? '';
  const ocr = needsText(parseQuestion(prompt)) ? 'always' : 'auto';
  const pool = new EnginePool({ threads, maxQueue: sources.length });
  const showBar = sources.length > 1 && process.stderr.isTTY && !values['no-progress'];
  const bar = showBar ? new cliProgress.SingleBar({ format: 'describing {bar} {value}/{total} images | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(sources.length, 0);

  // Results print in the order given; with a bar on screen they wait until it is done.
  const results: ({ ok: true; findings: ImageFindings } | { ok: false; message: string } | undefined)[] = new Array(sources.length);
  let printed = 0;
  const flush = () => {
    while (printed < sources.length && results[printed]) {
      print(sources[printed]!, results[printed]!, sources.length, prompt, values.json === true, printed);
      printed++;
    }
  };
  try {
    await Promise.all(
      sources.map(async (source, i) => {
        try {
          const bytes = await load(source);
          results[i] = { ok: true, findings: await pool.analyse(bytes, ocr) };
        } catch (err) {
          results[i] = { ok: false, message: (err as Error).message };
        }
        bar?.increment();
        if (!bar) flush();
      }),
    );
  } finally {
    bar?.stop();
    await pool.close();
  }
  flush();
  return results.every((r) => r?.ok) ? 0 : 1;
}

function print(source: string, result: { ok: true; findings: ImageFindings } | { ok: false; message: string }, total: number, prompt: string, json: boolean, index: number): void {
  if (!result.ok) {
    process.stderr.write(`iris: ${source}: ${result.message}\n`);
    return;
  }
  const answer = composeAnswer([result.findings], prompt);
  if (json) {
    // JSON Lines: any number of images is still something a JSON reader can take, line by line.
    process.stdout.write(`${JSON.stringify({ source, ...JSON.parse(findingsJson([result.findings], answer)) })}\n`);
    return;
  }
  if (total > 1) process.stdout.write(`${index ? '\n' : ''}== ${source} ==\n`);
  process.stdout.write(`${answer}\n`);
}

async function load(source: string): Promise<Buffer> {
  if (!/^https?:\/\//i.test(source)) return readFile(source);
  const response = await fetch(source, { signal: AbortSignal.timeout(30_000), headers: { 'user-agent': 'iris-cli' } });
  if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_URL_BYTES) throw new Error(`larger than ${MAX_URL_BYTES / 1e6} MB`);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_URL_BYTES) throw new Error(`larger than ${MAX_URL_BYTES / 1e6} MB`);
  return bytes;
}

process.exitCode = await main(process.argv.slice(2));
