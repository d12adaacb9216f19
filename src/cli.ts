import { readFileSync } from 'node:fs';
import { availableParallelism, constants as osConstants } from 'node:os';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { composeAnswer } from './engine/compose/compose-answer.ts';
import { findingsJson } from './engine/compose/findings-json.ts';
import { needsText, parseQuestion } from './engine/compose/question-intent.ts';
import { EnginePool } from './engine/engine-pool.ts';
import type { ImageFindings } from './engine/findings.ts';
import { loadImage } from './cli-load-image.ts';
import { rootCause } from './root-cause.ts';

// `iris describe FILE|URL…` runs the recognition engine right here, no server needed;
// `iris serve` starts the server.

const SERVE_HELP = `Usage: iris serve [options]      start the API server (same as npm start)

Options (each sets the environment variable named, over the config file):
      --host HOST     address to listen on (HOST; default 0.0.0.0, all interfaces)
      --port N        port to listen on (PORT; default 8080)
      --config FILE   YAML or JSON config file (IRIS_CONFIG; default ./iris.config.yaml or .yml)
  -h, --help          show this help

Environment:
  IRIS_API_KEYS       accepted API keys, comma-separated (default: one created on the first start)
  IRIS_DATA_DIR       where Iris keeps its files, such as the created key's hash (default ./data)
  LOG_LEVEL           fatal, error, warn, info (default), debug, trace or silent
  REDIS_URL           Redis for caches shared across instances (default: in memory)

Start-up prints where Iris listens, the models it serves, and a curl line to try.
The README's Configuration section has every setting.
`;

const DESCRIBE_HELP = `Usage: iris describe [options] FILE|URL...   describe images, or answer a question about them

Options:
  -p, --prompt TEXT   ask a question instead of describing, e.g.
                      --prompt "How many dogs are there?"  --prompt "What does the text say?"
      --json          print the findings (objects, counts, faces, text, colours, size) as JSON,
                      one object per line and image (JSON Lines); {"source", "error"} for
                      an image that could not be described
  -t, --threads N     worker threads (default: one per core)
      --no-progress   no progress bar (it is shown on a terminal for more than one image)
  -h, --help          show this help

FILE is a local image (JPEG, PNG, WebP, GIF, TIFF, AVIF...; up to 50 MB), or - for
standard input; URL is http(s), fetched from this machine. Everything runs offline on the
CPU: objects (80 COCO classes) with counts, people and faces, printed text (OCR), dominant
colours, format and size. An image that cannot be described is named on stderr, the others
are still described, and the status is 1; Ctrl-C prints what is done and stops.

Examples:
  iris describe photo.jpg
  iris describe --prompt "How many people are there?" team.jpg
  iris describe --json scans/*.png > findings.jsonl
  curl -s https://example.com/cat.jpg | iris describe -
`;

const HELP = `iris — self-hosted image recognition with an OpenAI-compatible API

Usage:
  iris describe [options] FILE|URL...   describe images, or answer a question about them
  iris serve [options]                  start the API server (same as npm start)
  iris help, iris --help                show this help
  iris --version                        print the version
  iris COMMAND --help                   one command's options
With no command, iris prints this help to stderr and exits with status 2.

${SERVE_HELP.replace(/^Usage: .*\n\nOptions/, 'serve options')}
${DESCRIBE_HELP.replace(/^Usage: .*\n\nOptions/, 'describe options')}`;

/** After a one-line mistake, where the whole story is. */
const SEE_HELP = 'Run "iris --help" for the commands and their options.\n';

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
  process.stderr.write(`iris: unknown command "${command}" (commands: describe, serve, help)\n${SEE_HELP}`);
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
    process.stderr.write(`iris serve: ${(err as Error).message}\n${SEE_HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  if (values.host !== undefined) process.env.HOST = values.host;
  if (values.port !== undefined) process.env.PORT = values.port;
  if (values.config !== undefined) process.env.IRIS_CONFIG = values.config;
  await import('./main.ts');
  return 0;
}

type Result = { ok: true; findings: ImageFindings } | { ok: false; message: string };

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
    process.stderr.write(`iris describe: ${(err as Error).message}\n${SEE_HELP}`);
    return 2;
  }
  const { values, positionals: sources } = parsed;
  if (values.help) {
    process.stdout.write(DESCRIBE_HELP);
    return 0;
  }
  if (!sources.length) {
    process.stderr.write(`iris describe: give at least one image file or URL\n${SEE_HELP}`);
    return 2;
  }
  if (sources.filter((s) => s === '-').length > 1) {
    process.stderr.write('iris describe: - (standard input) can be given once\n');
    return 2;
  }
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  // Number('') is 0, so an empty value is refused too.
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    process.stderr.write('iris describe: --threads takes a positive whole number\n');
    return 2;
  }
  const prompt = values.prompt ?? '';
  const json = values.json === true;
  const ocr = needsText(parseQuestion(prompt)) ? 'always' : 'auto';
  // Inputs are read a few at a time, as the workers can take them: all at once, a folder of
  // scans would all be in memory before the first is done.
  const lanes = 2 * (threads ?? availableParallelism());
  // Started by the first input that loads: a run whose inputs all fail says so at once.
  let pool: EnginePool | undefined;
  const showBar = sources.length > 1 && process.stderr.isTTY && !values['no-progress'];
  const bar = showBar ? new cliProgress.SingleBar({ format: 'describing {bar} {value}/{total} images | {eta_formatted} left', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(sources.length, 0);

  // Results print in the order given; with a bar on screen they wait until it is done.
  const results: (Result | undefined)[] = new Array(sources.length).fill(undefined);
  let printed = 0;
  const flush = (skipPending = false) => {
    for (; printed < sources.length; printed++) {
      const result = results[printed];
      if (result) print(sources[printed]!, result, sources.length, prompt, json);
      else if (!skipPending) return;
    }
  };
  // Ctrl-C (or a SIGTERM): the terminal gets its cursor back, and what was done is not lost.
  let interrupted = false;
  const onInterrupt = (signal: NodeJS.Signals) => {
    if (interrupted) return; // a wrapper's copy of the same Ctrl-C
    interrupted = true;
    bar?.stop();
    const pending = results.filter((r) => r === undefined).length;
    flush(true);
    process.stderr.write(`iris: interrupted: ${pending} of ${sources.length} images not described\n`);
    process.exit(128 + osConstants.signals[signal]);
  };
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);

  // An engine that cannot start (its model files missing or broken) ends the run in one line,
  // not a stack per worker and a wait for ever.
  let workerError: Error | undefined;
  const startPool = () => {
    const started = new EnginePool({ threads, maxQueue: lanes, onWorkerError: (err) => (workerError ??= err) });
    // Until it is ready, the event loop has only the workers: were they to die, the run would end mid-await.
    const keepAlive = setInterval(() => undefined, 60_000);
    started.whenReady().then(
      () => clearInterval(keepAlive),
      (err: unknown) => {
        bar?.stop();
        flush(true);
        process.stderr.write(`iris: the recognition engine failed to start: ${rootCause(workerError ?? err)}\n`);
        process.exit(1);
      },
    );
    return started;
  };

  let next = 0;
  const lane = async () => {
    while (next < sources.length) {
      const i = next++;
      try {
        const bytes = await loadImage(sources[i]!);
        pool ??= startPool();
        results[i] = { ok: true, findings: await pool.analyse(bytes, ocr) };
      } catch (err) {
        results[i] = { ok: false, message: (err as Error).message };
      }
      bar?.increment();
      if (!bar) flush();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(lanes, sources.length) }, lane));
  } finally {
    bar?.stop();
    await pool?.close();
  }
  flush();
  process.off('SIGINT', onInterrupt);
  process.off('SIGTERM', onInterrupt);
  return results.every((r) => r?.ok) ? 0 : 1;
}

/** Whether an answer is on stdout already: the next one's header gets a blank line before it. */
let printedAny = false;

function print(source: string, result: Result, total: number, prompt: string, json: boolean): void {
  if (!result.ok) {
    process.stderr.write(`iris: ${source}: ${result.message}\n`);
    // A line for every image, so a reader of the JSON Lines knows which one failed and why.
    if (json) process.stdout.write(`${JSON.stringify({ source, error: result.message })}\n`);
    return;
  }
  const answer = composeAnswer([result.findings], prompt);
  if (json) {
    // JSON Lines: any number of images is still something a JSON reader can take, line by line.
    process.stdout.write(`${JSON.stringify({ source, ...JSON.parse(findingsJson([result.findings], answer)) })}\n`);
    return;
  }
  if (total > 1) process.stdout.write(`${printedAny ? '\n' : ''}== ${source} ==\n`);
  printedAny = true;
  process.stdout.write(`${answer}\n`);
}

// A reader that has had enough (`| head -1`) closes the pipe: stop quietly, as a process killed
// by SIGPIPE would (status 141), not with a stack for EPIPE.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(128 + osConstants.signals.SIGPIPE);
});

process.exitCode = await main(process.argv.slice(2));
