import sharp from 'sharp';

// Test images: black text on white, rendered from SVG, as PNG bytes and a data URL.

export async function renderTextPng(lines: string[], options: { width?: number; fontSize?: number } = {}): Promise<Buffer> {
  const fontSize = options.fontSize ?? 56;
  const lineHeight = Math.round(fontSize * 1.5);
  const width = options.width ?? 1000;
  const height = lineHeight * lines.length + fontSize;
  const text = lines
    .map((line, i) => `<text x="40" y="${fontSize + i * lineHeight}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${fontSize}" fill="#000">${escapeXml(line)}</text>`)
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#fff"/>${text}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

export function dataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
