import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultFormulaFor, estimateImageTokens, estimateUnknownSizeTokens, resolveFormula, knownFormula, seenSize } from './image-tokens.ts';

// One test per worked example in shared/reference/wire-formats.md (§2d, §2e, §2f).
const est = (model: string, w: number, h: number, detail?: 'low' | 'high' | 'auto') =>
  estimateImageTokens(defaultFormulaFor(model), w, h, detail);

describe('OpenAI tiles', () => {
  test('gpt-4o 1024×1024 high → 765', () => assert.equal(est('gpt-4o', 1024, 1024, 'high'), 765));
  test('gpt-4o 2048×4096 high → 1105', () => assert.equal(est('gpt-4o', 2048, 4096, 'high'), 1105));
  test('gpt-4o 4096×8192 low → 85', () => assert.equal(est('gpt-4o', 4096, 8192, 'low'), 85));
  test('gpt-4o-mini 1024×1024 high → 25,501', () => assert.equal(est('gpt-4o-mini', 1024, 1024, 'high'), 25_501));
  test('gpt-4o-mini 2048×4096 high → 36,835', () => assert.equal(est('gpt-4o-mini', 2048, 4096, 'high'), 36_835));
  test('gpt-4o-mini any low → 2833', () => assert.equal(est('gpt-4o-mini-2024-07-18', 300, 7000, 'low'), 2833));
  test('gpt-4o 1920×1080 high → 1105', () => assert.equal(est('gpt-4o', 1920, 1080, 'high'), 1105));
  test('gpt-4o 128×64 high → 255 (no upscale)', () => assert.equal(est('gpt-4o-2024-08-06', 128, 64, 'high'), 255));
  test('auto counts as high on tile models', () => assert.equal(est('gpt-4.1', 1024, 1024, 'auto'), 765));
  test('a sliver still covers a row of tiles: gpt-4o-mini 20000×2 high → 2833 + 4 × 5667', () => assert.equal(est('gpt-4o-mini', 20000, 2, 'high'), 25_501));
  test('o1/o3, gpt-5, computer-use and gpt-image-1 constants', () => {
    assert.equal(est('o3', 1024, 1024), 75 + 4 * 150);
    assert.equal(est('gpt-5', 1024, 1024), 70 + 4 * 140);
    assert.equal(est('computer-use-preview', 512, 512), 65 + 129);
    assert.equal(est('gpt-image-1', 1024, 1024), 65 + 129); // short side → 512: one tile
  });
  test('tile boundaries: 512 is one tile, 513 two', () => {
    assert.equal(est('gpt-4o', 512, 512), 85 + 170);
    assert.equal(est('gpt-4o', 513, 512), 85 + 2 * 170);
  });
});

describe('OpenAI patches', () => {
  const raw = (w: number, h: number) => estimateImageTokens({ kind: 'patches', cap: 1536, multiplier: 1, fitEdge: null }, w, h);
  test('guide: 1024×1024 → 1024 patches', () => assert.equal(raw(1024, 1024), 1024));
  test('guide: 1800×2400 → 1452 patches', () => assert.equal(raw(1800, 2400), 1452));
  test('gpt-4.1-mini 2048×4096 (1536 budget) → 2362', () => assert.equal(est('gpt-4.1-mini', 2048, 4096), 2362));
  test('4096×8192 → 1458 patches: 4.1-mini 2362, o4-mini 2508, 4.1-nano 3587', () => {
    assert.equal(est('gpt-4.1-mini', 4096, 8192), 2362);
    assert.equal(est('o4-mini', 4096, 8192), 2508);
    assert.equal(est('gpt-4.1-nano', 4096, 8192), 3587);
  });
  test('gpt-5.4 high 1024×1024 → 1229', () => assert.equal(est('gpt-5.4', 1024, 1024, 'high'), 1229));
  test('gpt-5.4 high 2048×2048 → 3000', () => assert.equal(est('gpt-5.4', 2048, 2048, 'high'), 3000));
  // New revision: each detail level has its own pixel limit and patch budget (§2d, "Limits per model family").
  test('gpt-5.4: low = 2048 px / 6,144 patches, so low can cost more than high; auto = high', () => {
    assert.equal(est('gpt-5.4', 2048, 2048, 'low'), 4916); // 4096 patches × 1.2
    assert.equal(est('gpt-5.4-mini', 2048, 2048, 'auto'), 3000);
    assert.equal(est('gpt-5.4-nano', 1024, 1024, 'low'), 1229);
  });
  test('gpt-5.5: high = 2,500 / 2048 px; auto = original = 10,000 / 6000 px', () => {
    assert.equal(est('gpt-5.5', 2048, 2048, 'high'), 3000);
    assert.equal(est('gpt-5.5', 2048, 2048, 'auto'), 4916);
    assert.equal(est('gpt-5.5', 4096, 4096), 12_000); // 16,384 patches → 3200×3200 → 10,000 × 1.2
  });
  test('gpt-5.6: low ≤ 512 px; high 2,500 / 2048 px; auto = original, no patch budget', () => {
    assert.equal(est('gpt-5.6-sol', 2048, 2048, 'low'), 308); // 16×16 = 256 × 1.2
    assert.equal(est('gpt-5.6-terra', 2048, 2048, 'high'), 3000);
    assert.equal(est('gpt-5.6-luna', 4096, 4096, 'auto'), 19_661); // 128×128 = 16,384 × 1.2
  });
  test('gpt-5.2: 2048 px and 6,144 patches at every detail level', () => {
    for (const detail of ['low', 'high', 'auto'] as const) assert.equal(est('gpt-5.2', 2048, 4096, detail), 2458); // 32×64 × 1.2
  });
  test('a configured patch_cap applies at every detail level', () => {
    const f = resolveFormula('gpt-5.5', { formula: 'patches', patch_cap: 100 });
    for (const detail of ['low', 'high', 'auto'] as const) assert.equal(estimateImageTokens(f, 2048, 2048, detail), 120);
  });
  test('a sliver over the budget still costs the budget: gpt-4.1-mini 50000×30 → 1536 × 1.62', () => {
    // Shrunk to the budget its short side is under one patch; it must not round to 0 patches.
    assert.equal(est('gpt-4.1-mini', 50_000, 30), 2489);
    assert.equal(est('gpt-4.1-mini', 10, 60_000), 2489);
  });
  test('patch boundary: 32×32 is one patch, 33×32 two', () => {
    assert.equal(raw(32, 32), 1);
    assert.equal(raw(33, 32), 2);
  });
});

describe('Anthropic', () => {
  test('200×200 → 54', () => assert.equal(est('claude-sonnet-4-5', 200, 200), 54));
  test('1000×1000 → 1334', () => assert.equal(est('claude-3-5-sonnet-latest', 1000, 1000), 1334));
  test('1092×1092 → 1590 (largest 1:1 not resized)', () => assert.equal(est('claude-opus-4-1', 1092, 1092), 1590));
  test('the largest sizes Anthropic lists as not resized are not resized', () => {
    for (const [w, h] of [[1092, 1092], [951, 1268], [896, 1344], [819, 1456], [784, 1568]]) {
      assert.equal(est('claude-sonnet-4-5', w, h), Math.ceil((w * h) / 750), `${w}×${h}`);
      assert.equal(est('claude-sonnet-4-5', h, w), Math.ceil((w * h) / 750), `${h}×${w}`);
    }
  });
  test('a sliver resized to the 1568 px edge keeps a row of pixels: 8000×4 → 1568×1 → 3', () => {
    assert.equal(est('claude-sonnet-4-5', 8000, 4), 3);
  });
  test('larger images are resized first: 4000×4000 costs what its resize costs', () => {
    const big = est('claude-sonnet-4', 4000, 4000);
    assert.ok(big <= 1640 && big >= 1500, String(big));
    assert.equal(est('claude-sonnet-4', 784, 1568), Math.ceil((784 * 1568) / 750));
  });
});

describe('Gemini', () => {
  test('≤384 px both sides → 258', () => assert.equal(est('gemini-2.5-flash', 384, 384), 258));
  test('385 px → tiled', () => assert.ok(est('gemini-2.5-flash', 385, 384) > 258));
  test('960×540 → 6 tiles = 1548', () => assert.equal(est('gemini-2.0-flash', 960, 540), 1548));
  test('1024×1024 → 4 tiles = 1032', () => assert.equal(est('models/gemini-2.5-pro', 1024, 1024), 1032));
  // Gemini 3 spends a media_resolution budget per image, not tiles; Iris sends none, so the
  // default applies (Vertex AI: "Default resolution tokens: 1120").
  test('Gemini 3: the default media_resolution budget, 1120 per image, whatever its size', () => {
    assert.equal(est('gemini-3-pro-preview', 1024, 1024), 1120);
    assert.equal(est('models/gemini-3.1-flash-lite', 200, 200), 1120);
    assert.equal(est('gemini-3-flash-preview', 4000, 3000, 'low'), 1120);
    assert.equal(est('gemini-2.5-flash', 200, 200), 258);
  });
  test('a configured per_tile tiles Gemini 3 images', () => {
    assert.equal(estimateImageTokens(resolveFormula('gemini-3-pro-preview', { formula: 'gemini', per_tile: 100 }), 1024, 1024), 400);
  });
});

describe('formula resolution', () => {
  test('vendor prefixes are ignored', () => {
    assert.equal(defaultFormulaFor('openai/gpt-4o-mini').kind, 'tiles');
    assert.equal(defaultFormulaFor('anthropic/claude-3.7-sonnet').kind, 'anthropic');
    assert.equal(defaultFormulaFor('google/gemini-2.0-flash-001').kind, 'gemini');
  });
  test('every model family of the reference gets its formula and constants', () => {
    const f = (m: string) => defaultFormulaFor(m);
    assert.deepEqual(f('gpt-4.5-preview'), f('gpt-4o'));
    assert.deepEqual(f('chatgpt-4o-latest'), f('gpt-4o'));
    assert.deepEqual(f('gpt-4.1-2025-04-14'), f('gpt-4o'));
    assert.deepEqual(f('o1-pro'), f('o3'));
    assert.deepEqual(f('gpt-5.1'), f('gpt-5'));
    assert.equal(est('gpt-5.1-2025-11-13', 1024, 1024), 70 + 4 * 140);
    assert.equal(est('o1', 512, 512, 'low'), 75);
    assert.equal(est('gpt-5-nano', 1024, 1024), 1536); // 1024 patches × 1.5
    assert.equal(est('gpt-5-mini', 1024, 1024), 1229);
    assert.equal(est('gpt-4.1-nano', 1024, 1024), Math.ceil(1024 * 2.46));
    assert.equal(est('o4-mini', 1024, 1024), Math.ceil(1024 * 1.72));
  });
  test('unknown models get gpt-4o tiles', () => assert.equal(est('llava:13b', 1024, 1024), 765));
  test('config overrides constants and formula', () => {
    assert.equal(estimateImageTokens(resolveFormula('gpt-4o', { formula: 'tiles', base: 10, per_tile: 1 }), 1024, 1024), 14);
    assert.equal(estimateImageTokens(resolveFormula('gpt-4o', { formula: 'patches', multiplier: 2 }), 1024, 1024), 2048);
    assert.equal(estimateImageTokens(resolveFormula('gpt-4.1-mini', { formula: 'patches', patch_cap: 100 }), 1024, 1024), Math.ceil(100 * 1.62));
    assert.equal(estimateImageTokens(resolveFormula('my-model', { formula: 'anthropic' }), 200, 200), 54);
    assert.equal(estimateImageTokens(resolveFormula('gpt-4o', { formula: 'none' }), 1024, 1024), 0);
  });
  test('unknown size: a 1024×1024 image, or the low-detail cost', () => {
    assert.equal(estimateUnknownSizeTokens(defaultFormulaFor('gpt-4o')), 765);
    assert.equal(estimateUnknownSizeTokens(defaultFormulaFor('gpt-4o'), 'low'), 85);
    assert.equal(estimateUnknownSizeTokens(defaultFormulaFor('claude-sonnet-4')), 1399);
  });
});

test('seenSize: an image brought to the size the model sees costs what the original costs, and is never larger', () => {
  const models = ['gpt-4o', 'gpt-4o-mini', 'gpt-5', 'gpt-image-1', 'gpt-4.1-mini', 'o4-mini', 'gpt-5-mini', 'gpt-5.4', 'gpt-5.5', 'gpt-5.2'];
  const sizes = [[4032, 3024], [3024, 4032], [1920, 1080], [2048, 4096], [800, 600], [10000, 50], [50, 10000], [1, 1], [1537, 769], [6001, 4000]];
  for (const model of models) {
    const formula = defaultFormulaFor(model);
    for (const detail of ['auto', 'high', 'low'] as const) {
      for (const [w, h] of sizes) {
        const seen = seenSize(formula, w, h, detail);
        if (!seen) continue;
        const where = `${model} ${detail} ${w}×${h} → ${seen.width}×${seen.height}`;
        assert.ok(seen.width <= w && seen.height <= h && seen.width >= 1 && seen.height >= 1, where);
        assert.equal(estimateImageTokens(formula, seen.width, seen.height, detail), estimateImageTokens(formula, w, h, detail), where);
      }
    }
  }
  // gpt-4o: fit in 2048, then the short side to 768.
  assert.deepEqual(seenSize(defaultFormulaFor('gpt-4o'), 4032, 3024), { width: 1024, height: 768 });
  // Not known to be cut: low detail on tiles (lowDetailEdge covers it), Anthropic, Gemini, none.
  assert.equal(seenSize(defaultFormulaFor('gpt-4o'), 4032, 3024, 'low'), null);
  assert.equal(seenSize(defaultFormulaFor('claude-sonnet-4-5'), 4032, 3024), null);
  assert.equal(seenSize(defaultFormulaFor('gemini-2.5-flash'), 4032, 3024), null);
  assert.equal(seenSize({ kind: 'none' }, 4032, 3024), null);
  // Only models in the table are known.
  assert.equal(knownFormula('Qwen/Qwen2.5-VL-7B-Instruct'), null);
  assert.equal(knownFormula('openai/gpt-4o')?.kind, 'tiles');
});
