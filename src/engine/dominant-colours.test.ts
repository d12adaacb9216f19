import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { colourName, dominantColours, regionColour } from './dominant-colours.ts';

async function rgbOf(svg: string): Promise<{ rgb: Uint8Array; width: number; height: number }> {
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data), width: info.width, height: info.height };
}

describe('colourName', () => {
  it('names everyday colours', () => {
    const cases: [number[], string][] = [
      [[0, 0, 0], 'black'], [[255, 255, 255], 'white'], [[128, 128, 128], 'grey'], [[220, 20, 20], 'red'],
      [[120, 10, 10], 'red'], [[250, 140, 0], 'orange'], [[250, 230, 30], 'yellow'], [[30, 160, 40], 'green'],
      [[20, 60, 200], 'blue'], [[140, 190, 240], 'light blue'], [[120, 40, 170], 'purple'], [[250, 150, 200], 'pink'],
      [[110, 70, 35], 'brown'], [[2, 153, 204], 'blue'],
    ];
    for (const [[r, g, b], name] of cases) assert.equal(colourName(r!, g!, b!), name, `${r},${g},${b}`);
  });
});

describe('dominantColours', () => {
  it('ranks the colours of a rendered image by area', async () => {
    const { rgb } = await rgbOf('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="#1e5adc"/><rect width="100" height="30" fill="#dc1e1e"/><rect y="30" width="100" height="10" fill="#ffd700"/></svg>');
    const colours = dominantColours(rgb);
    assert.deepEqual(colours.map((c) => c.name), ['blue', 'red', 'yellow']);
    assert.ok(Math.abs(colours[0]!.share - 0.6) < 0.02);
    assert.match(colours[1]!.hex, /^#d[0-9a-f]1[0-9a-f]1[0-9a-f]$/);
  });

  it('leaves out colours below the minimum share', async () => {
    const { rgb } = await rgbOf('<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><rect width="100" height="100" fill="#ffffff"/><rect width="5" height="100" fill="#000000"/></svg>');
    assert.deepEqual(dominantColours(rgb).map((c) => c.name), ['white']);
  });

  it('reads the colours of a region', async () => {
    const { rgb, width, height } = await rgbOf('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="#ffffff"/><circle cx="150" cy="50" r="40" fill="#22aa33"/></svg>');
    assert.equal(regionColour(rgb, width, height, [0.55, 0.1, 0.4, 0.8]), 'green');
  });
});
