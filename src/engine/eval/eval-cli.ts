import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EnginePool } from '../engine-pool.ts';
import { markdownTable, scoreImage, totalScores, type ImageLabel, type ImageScore } from './score-findings.ts';

// `npm run eval -- DIR`: runs the engine over a folder of labelled images (DIR/labels.json,
// images in DIR/images/ or DIR/) and prints a markdown table of how it did.

const USAGE = `Usage: npm run eval -- DIR [--json]

Scores the recognition engine on labelled images. DIR holds labels.json
({ "images": { "<file>": { "objects": {"dog": [1, 1]}, "aliases": {...},
"optional": [...], "faces": 2, "text": ["line", ...] } } }) and the images,
either beside it or in DIR/images/.

  --json   print the per-image scores and totals as JSON instead of a table`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const dir = resolve(positionals[0]!);
  const labelsPath = join(dir, 'labels.json');
  if (!existsSync(labelsPath)) {
    console.error(`No labels.json in ${dir}.\n\n${USAGE}`);
    return 2;
  }
  const labels = (JSON.parse(readFileSync(labelsPath, 'utf8')) as { images: Record<string, ImageLabel> }).images;
  const imageDir = existsSync(join(dir, 'images')) ? join(dir, 'images') : dir;
  const pool = new EnginePool({ maxQueue: 1000 });
  try {
    await pool.whenReady();
    const scores: ImageScore[] = [];
    for (const [name, label] of Object.entries(labels)) {
      const findings = await pool.analyse(readFileSync(join(imageDir, name)), 'auto');
      scores.push(scoreImage(name, label, findings));
    }
    const totals = totalScores(scores, labels);
    if (values.json) console.log(JSON.stringify({ scores, totals }, null, 2));
    else console.log(markdownTable(scores, totals));
    return 0;
  } finally {
    await pool.close();
  }
}

process.exitCode = await main();
