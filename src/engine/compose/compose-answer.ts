import type { ImageFindings, ObjectCount } from '../findings.ts';
import { article, countPhrase, plural, singular } from './coco-vocabulary.ts';
import { parseQuestion, type Intent, type Subject } from './question-intent.ts';

// Writes the answer to the user's text from what the engine saw, and nothing else: every
// statement is backed by a finding, and what the findings cannot settle is said plainly.
// Pure functions of (findings, question), so answers are deterministic and testable.

const CAPABILITIES = 'I can recognise 80 kinds of everyday objects (people, animals, vehicles, furniture, food and the like), count them, find faces, read printed text, and report colours, size and format';

export function composeAnswer(images: ImageFindings[], question: string): string {
  if (!images.length) {
    return `I need an image to answer. Attach one (as an image_url part) and I will describe it or answer questions about it: ${CAPABILITIES}.`;
  }
  const intents = parseQuestion(question);
  if (images.length === 1) return answerImage(images[0]!, intents).trim();
  return images.map((f, i) => `Image ${i + 1}: ${answerImage(f, intents).trim()}`).join('\n\n');
}

export function answerImage(f: ImageFindings, intents: Intent[]): string {
  // A description already gives the text, the colours and the orientation: asked for those as
  // well (as analysis mode's prompt does), it says them once, with the whole text.
  const describing = intents.some((intent) => intent.kind === 'describe');
  const wholeText = describing && intents.some((intent) => intent.kind === 'text');
  return intents
    .filter((intent) => !describing || !saidByDescription(f, intent))
    .map((intent) => (intent.kind === 'describe' ? describe(f, wholeText ? Infinity : 12) : answerIntent(f, intent)))
    .join(' ')
    .replace(/ ?\n ?/g, '\n');
}

function saidByDescription(f: ImageFindings, intent: Intent): boolean {
  if (intent.kind === 'text') return f.text !== null;
  return intent.kind === 'orientation' || (intent.kind === 'colours' && intent.subject === null && f.colours.length > 0);
}

function answerIntent(f: ImageFindings, intent: Intent): string {
  switch (intent.kind) {
    case 'describe':
      return describe(f);
    case 'count':
      return answerCount(f, intent.subject);
    case 'presence':
      return answerPresence(f, intent.subject);
    case 'text':
      return answerText(f);
    case 'colours':
      return answerColours(f, intent.subject);
    case 'size':
      return answerSize(f, intent.subject);
    case 'format':
      return `${capital(formatPhrase(f))}, ${kb(f.bytes)}.`;
    case 'orientation':
      return answerOrientation(f);
    case 'unknown':
      return `I can't tell that from the image: ${CAPABILITIES}, but not more than that. What I can see: ${seen(f)}.`;
  }
}

/** A few sentences on everything seen, with up to `textLines` lines of its text. */
export function describe(f: ImageFindings, textLines = 12): string {
  const parts: string[] = [];
  const documentLike = f.text !== null && f.text.lines.length >= 2 && f.objects.length === 0;
  parts.push(`This is ${article(f.orientation)} ${f.orientation} ${formatName(f)} image, ${f.width}×${f.height} pixels${documentLike ? ', which looks like a document or a text graphic' : ''}.`);
  if (f.objects.length || f.people) parts.push(`I can see ${objectList(f)}.`);
  else if (!f.text) parts.push(NOTHING_KNOWN);
  if (f.text) parts.push(textBlock(f, textLines));
  if (f.colours.length) parts.push(`The main colours are ${colourList(f)}.`);
  // The text block ends in a newline: no space on either side of it.
  return parts.join(' ').replace(/ ?\n ?/g, '\n');
}

function answerCount(f: ImageFindings, subject: Subject): string {
  if (subject.faces) {
    const n = f.faces.length;
    return n ? `I can see ${n} ${n === 1 ? 'face' : 'faces'}.` : "I don't see any faces.";
  }
  if (!subject.classes) return `I can't count ${subject.words}: ${notKnown(subject)} What I can see: ${seen(f)}.`;
  if (subject.generic) return f.objects.length || f.people ? `I can see ${objectList(f)}.` : NOTHING_KNOWN;
  const found = matching(f, subject.classes);
  const total = found.reduce((s, c) => s + c.count, 0);
  if (!total && subject.joined) return `I don't see any ${joinList(subject.classes.map(plural), 'or')}.${f.objects.length ? ` I can see ${objectList(f)}.` : ''}`;
  // A group word may come singular ("what animal is there?"): said in the plural.
  const group = subject.classes.length > 1 && !/s$/.test(subject.words) ? `${subject.words}s` : subject.words;
  if (!total) return `I don't see any ${group}.${f.objects.length ? ` I can see ${objectList(f)}.` : ''}`;
  // "dogs and cats": each one's count, the missing ones as "no cats".
  if (subject.joined) return `I can see ${joinList(subject.classes.map((label) => classPhrase(f, label)))}.`;
  const list = joinList(found.map((c) => classPhrase(f, c.label)));
  if (subject.classes.length > 1) return total === 1 ? `I can see ${list}.` : `I can see ${total} ${group}: ${list}.`;
  const label = subject.classes[0]!;
  const n = label === 'person' ? f.people : total;
  return n === 1 ? `There is one ${singular(label)}.` : `There are ${n} ${plural(label)}.`;
}

function answerPresence(f: ImageFindings, subject: Subject): string {
  if (subject.faces) {
    const n = f.faces.length;
    return n ? `Yes, I can see ${n} ${n === 1 ? 'face' : 'faces'}.` : "No, I don't see any faces.";
  }
  if (!subject.classes) return `I can't tell whether there ${/s$/.test(subject.words) ? 'are' : 'is'} ${withArticle(subject.words)}: ${notKnown(subject)} What I can see: ${seen(f)}.`;
  // "Anything?": what it recognises, never "no" (a painting holds things, just none of the 80 kinds).
  if (subject.generic) return f.objects.length || f.people ? `Yes, I can see ${objectList(f)}.` : NOTHING_KNOWN;
  const found = matching(f, subject.classes);
  if (found.length) {
    const list = found.map((c) => classPhrase(f, c.label));
    const missing = subject.joined ? subject.classes.filter((label) => !found.some((c) => c.label === label)) : [];
    return `Yes, I can see ${joinList(list)}${missing.length ? `, but no ${joinList(missing.map(plural), 'or')}` : ''}.`;
  }
  const none = subject.joined ? joinList(subject.classes.map(plural), 'or') : subject.classes.length === 1 ? plural(subject.classes[0]!) : subject.words;
  return `No, I don't see any ${none}.${f.objects.length ? ` I can see ${objectList(f)}.` : ''}`;
}

function answerText(f: ImageFindings): string {
  if (f.text) return textBlock(f, Infinity);
  return "I can't find any legible printed text in this image.";
}

function answerColours(f: ImageFindings, subject: Subject | null): string {
  if (subject && !subject.faces) {
    if (!subject.classes) return `I can't pick out ${withArticle(subject.words, 'the')} in the image: ${notKnown(subject)} ${imageColours(f)}`;
    const seenThere = f.detections.filter((d) => subject.classes!.includes(d.label));
    if (!seenThere.length) return `I don't see ${withArticle(subject.words, 'any')}, so I can't tell its colour. ${imageColours(f)}`;
    const ds = seenThere.filter((d) => d.colour);
    // Seen, but its area too mixed to name: it is there all the same.
    if (!ds.length) {
      const one = seenThere.length === 1;
      return `I can see ${one ? `${article(singular(seenThere[0]!.label))} ${singular(seenThere[0]!.label)}` : `${seenThere.length} ${plural(seenThere[0]!.label)}`}, but the area where I see ${one ? 'it' : 'them'} has no dominant colour. ${imageColours(f)}`;
    }
    const unique = [...new Set(ds.map((d) => d.colour!))];
    const name = ds.length === 1 ? singular(ds[0]!.label) : plural(ds[0]!.label);
    return `I can't measure the colour of the ${name} on ${ds.length === 1 ? 'its' : 'their'} own; the area where I see ${ds.length === 1 ? 'it' : 'them'} is mostly ${joinList(unique, 'or')}.`;
  }
  if (!f.colours.length) return MIXED;
  return `The main colours are ${colourList(f)}.`;
}

const MIXED = "I can't name a dominant colour: the image is very mixed.";

/** The image's colours after an answer about one thing's: none may be dominant. */
function imageColours(f: ImageFindings): string {
  return f.colours.length ? `The image's main colours are ${colourList(f)}.` : MIXED;
}

function answerSize(f: ImageFindings, subject: Subject | null): string {
  if (subject?.faces) {
    if (!f.faces.length) return "I don't see any faces.";
    const share = Math.max(...f.faces.map((face) => face.box[2] * face.box[3]));
    return `The ${f.faces.length === 1 ? 'face' : 'largest face'} takes up about ${Math.max(1, Math.round(share * 100))}% of the picture.`;
  }
  if (subject && subject.classes) {
    const ds = f.detections.filter((d) => subject.classes!.includes(d.label));
    if (!ds.length) return `I don't see ${withArticle(subject.words, 'any')}.`;
    const share = Math.max(...ds.map((d) => d.box[2] * d.box[3]));
    return `The ${singular(ds[0]!.label)} takes up about ${Math.max(1, Math.round(share * 100))}% of the picture; I can't tell its real-world size from the image.`;
  }
  if (subject && !subject.classes) return `I can't tell how big ${withArticle(subject.words, 'the')} is: ${notKnown(subject)} The image itself is ${f.width}×${f.height} pixels.`;
  return `The image is ${f.width}×${f.height} pixels (${f.megapixels} megapixels, ${f.orientation}), ${article(formatName(f))} ${formatName(f)} file of ${kb(f.bytes)}.`;
}

function answerOrientation(f: ImageFindings): string {
  const turned = f.exifOrientation && f.exifOrientation > 1 ? ` It is stored rotated (EXIF orientation ${f.exifOrientation}); I looked at it upright.` : '';
  return `The image is in ${f.orientation} orientation (${f.width}×${f.height}).${turned}`;
}

// ---- phrases

function matching(f: ImageFindings, classes: string[]): ObjectCount[] {
  return f.objects.filter((c) => classes.includes(c.label));
}

function objectList(f: ImageFindings): string {
  const items: string[] = [];
  if (f.people) {
    const faces = f.faces.length ? ` (${f.faces.length} ${f.faces.length === 1 ? 'face' : 'faces'} visible)` : '';
    items.push(peoplePhrase(f.people) + faces);
  }
  for (const c of f.objects) if (c.label !== 'person') items.push(countPhrase(c.label, c.count));
  return joinList(items);
}

/** "2 dogs", "no cats", "one person": a class as counted in the findings (people: bodies or faces). */
function classPhrase(f: ImageFindings, label: string): string {
  if (label === 'person' && f.people) return peoplePhrase(f.people);
  return countPhrase(label, matching(f, [label])[0]?.count ?? 0);
}

const NOTHING_KNOWN = "I don't recognise any everyday objects or people in it.";

function peoplePhrase(n: number): string {
  return n === 1 ? 'one person' : `${n} people`;
}

/** A short account of everything seen, for answers that cannot address the question. */
function seen(f: ImageFindings): string {
  const parts: string[] = [];
  parts.push(f.objects.length || f.people ? objectList(f) : 'no everyday objects or people');
  if (f.text) parts.push(`text starting "${truncate(f.text.lines[0]!, 60)}"`);
  const colours = f.colours.slice(0, 3).map((c) => c.name);
  let out = joinList(parts);
  if (colours.length) out += `; the main colours are ${joinList(colours)}`;
  return `${out} (${formatName(f)}, ${f.width}×${f.height})`;
}

function textBlock(f: ImageFindings, maxLines: number): string {
  const lines = f.text!.lines;
  if (lines.length === 1) return `The text reads: "${lines[0]}".`;
  const shown = lines.slice(0, maxLines);
  const more = lines.length - shown.length;
  return `The text reads:\n${shown.join('\n')}${more > 0 ? `\n(… and ${more} more lines)` : ''}\n`;
}

function colourList(f: ImageFindings): string {
  return joinList(f.colours.map((c) => `${c.name} (${Math.round(c.share * 100)}%)`));
}

function formatName(f: ImageFindings): string {
  const names: Record<string, string> = { jpeg: 'JPEG', png: 'PNG', webp: 'WebP', gif: 'GIF', tiff: 'TIFF', heic: 'HEIC', avif: 'AVIF', svg: 'SVG' };
  return names[f.format] ?? f.format.toUpperCase();
}

function formatPhrase(f: ImageFindings): string {
  const name = formatName(f);
  if (f.frames > 1) return `it is an animated ${name} with ${f.frames} frames (I looked at the first)`;
  return `it is ${article(name)} ${name} image`;
}

function notKnown(subject: Subject): string {
  return `"${subject.words}" is not among the things I can recognise (${CAPABILITIES}).`;
}

function withArticle(words: string, fallback?: string): string {
  if (fallback) return `${fallback} ${words}`;
  return /s$/.test(words) ? words : `${article(words)} ${words}`;
}

export function joinList(items: string[], last = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${last} ${items[items.length - 1]}`;
}

function kb(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
