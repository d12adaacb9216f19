import { classesFor } from './coco-vocabulary.ts';

// What the user asks, as intents the engine can answer from its findings. A message may ask
// several things ("How many dogs are there? What colours?"), so it is read sentence by
// sentence; statements that ask nothing ("Here is my photo.") are dropped, and a message
// that asks nothing recognisable is answered with a description.

/** A thing asked about: the user's words and the COCO classes they mean (null: unknown). */
export interface Subject {
  words: string;
  classes: string[] | null;
  faces?: boolean;
}

export type Intent =
  | { kind: 'describe' }
  | { kind: 'count'; subject: Subject }
  | { kind: 'presence'; subject: Subject }
  | { kind: 'text' }
  | { kind: 'colours'; subject: Subject | null }
  | { kind: 'size'; subject: Subject | null }
  | { kind: 'format' }
  | { kind: 'orientation' }
  | { kind: 'unknown'; question: string };

const IMAGE_WORDS = /^(?:the |this |that |your )?(?:image|picture|photo|photograph|pic|scan|screenshot|file|it|one|thing|here)$/;
const FILLER_TAIL =
  /\s+(?:(?:are|is|do|does|did|can|could|were|was|will|would|have|has)\b.*|(?:in|on|at|inside|within|from|of)\s+(?:the|this|that|these|my|your)\s+(?:image|picture|photo|photograph|pic|scan|screenshot|shot|frame|scene)s?\b.*|(?:there|here|visible|shown|present|around|total|altogether|in total)\b.*)$/;

export function parseQuestion(text: string): Intent[] {
  const sentences = text
    .split(/(?<=[?!.])\s+|\n+/)
    .map((s) => s.trim())
    .filter(Boolean);
  const intents: Intent[] = [];
  const unknown: Intent[] = [];
  for (const sentence of sentences) {
    const found = parseSentence(sentence);
    if (found) intents.push(...found);
    else if (isQuestion(sentence)) unknown.push({ kind: 'unknown', question: sentence });
  }
  if (intents.length) return dedupe([...intents, ...unknown]);
  if (unknown.length) return unknown;
  return [{ kind: 'describe' }];
}

function isQuestion(sentence: string): boolean {
  return /\?\s*$/.test(sentence) || /^(?:who|what|which|where|when|why|how|is|are|does|do|can|could|would|will|tell|guess|estimate|identify)\b/i.test(sentence);
}

function parseSentence(raw: string): Intent[] | null {
  const s = ` ${raw.toLowerCase().replace(/[“”"']/g, (c) => (c === "'" ? "'" : ' ')).replace(/[?!.,;:]+/g, ' ').replace(/\s+/g, ' ').trim()} `;
  const out: Intent[] = [];
  const subject = (words: string): Subject => makeSubject(words);

  // Size and format come first: "how many pixels" is not a count of things called pixels.
  if (/\b(?:how many pixels|resolution|dimensions?|megapixels?|how (?:big|large|wide|tall) is (?:the |this |that )?(?:image|picture|photo|file)|(?:image|picture|photo|file) size|size of (?:the |this )?(?:image|picture|photo|file)|what size|width|height)\b/.test(s)) {
    out.push({ kind: 'size', subject: null });
  } else {
    const big = /\bhow (?:big|large|small) (?:is|are) (?:the |this |that |these |those )?([a-z][a-z -]*?) $/.exec(s);
    if (big) out.push({ kind: 'size', subject: IMAGE_WORDS.test(big[1]!.trim()) ? null : subject(big[1]!) });
  }
  if (/\b(?:file )?format\b|\bfile ?type\b|\bwhat kind of file\b|\b(?:is it|is this) (?:a |an )?(?:jpe?g|png|webp|gif|tiff?)\b/.test(s)) out.push({ kind: 'format' });
  if (/\b(?:orientation|portrait or landscape|landscape or portrait|upside down|rotated)\b/.test(s)) out.push({ kind: 'orientation' });

  const count =
    /\bhow many (?!pixels)([a-z][a-z -]*?)(?:$| (?:are|is|do|does|can|could|were|was|in|on|at|there|here|you|visible|shown|present|appear|total)\b)/.exec(s.trim()) ??
    /\b(?:count|number of) (?:the |all |any )?([a-z][a-z -]*?)(?:$| (?:in|on|that|there|visible|shown)\b)/.exec(s.trim());
  if (count) out.push({ kind: 'count', subject: subject(count[1]!) });

  const presence =
    /\b(?:is|are) there (?:an? |any |some |more than one )?([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /\b(?:do|can|could) you (?:see|spot|find|detect|notice) (?:an? |any |some )?([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /\b(?:does|do) (?:it|this|that|the (?:image|picture|photo)|this (?:image|picture|photo)) (?:contain|have|show|include|depict|feature)s? (?:an? |any |some )?([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /^ ?(?:is|are) (?:this|it|that|these|those) (?:an? |some )([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /\bany ([a-z][a-z -]*?) *$/.exec(strip(s));
  if (presence && !count && !IMAGE_WORDS.test(presence[1]!.trim()) && !/\b(?:text|writing|words?)\b/.test(presence[1]!)) {
    out.push({ kind: 'presence', subject: subject(presence[1]!) });
  }

  if (/\b(?:text|say|says|said|written|writing|read|reads|words?|letters|transcribe|transcription|ocr|caption says|sign says|printed)\b/.test(s)) {
    out.push({ kind: 'text' });
  }
  const colour = /\bcolou?rs?\b/.test(s);
  if (colour) {
    const of = /\bcolou?rs? (?:is|are|of) (?:the |this |that |these |those )?([a-z][a-z -]*?) *$/.exec(strip(s));
    out.push({ kind: 'colours', subject: of && !IMAGE_WORDS.test(of[1]!.trim()) ? subject(of[1]!) : null });
  }
  if (
    !out.length &&
    (/\b(?:describe|description|what do you see|what can you see|what (?:is|s) (?:this|that|it|here|in|on|shown|happening|going on|the (?:image|picture|photo))|what are (?:these|those|they)|tell me (?:about|what)|summari[sz]e|caption|explain|analy[sz]e|identify|look at|what is it|whats this|what s this)\b/.test(s) ||
      /^ ?(?:what|what's|whats) ?$/.test(s))
  ) {
    out.push({ kind: 'describe' });
  }
  return out.length ? out : null;
}

const LOCATION_TAIL =
  /(?:\s+(?:in|on|at|inside|within|from|of)\s+(?:the|this|that|these|my|your)\s+(?:image|picture|photo|photograph|pic|scan|screenshot|shot|frame|scene)s?\b.*|\s+(?:please|at all|here|there|visible|anywhere|in it|in there))+$/;

/** Drops "in the picture", "please" and similar tails that are not part of the subject. */
function strip(s: string): string {
  return ` ${s.trim().replace(LOCATION_TAIL, '')} `;
}

export function makeSubject(words: string): Subject {
  const clean = words.trim().replace(FILLER_TAIL, '').replace(/^(?:the|a|an|any|some|all) /, '').trim();
  if (/^faces?$/.test(clean)) return { words: clean, classes: null, faces: true };
  return { words: clean, classes: classesFor(clean) };
}

function dedupe(intents: Intent[]): Intent[] {
  const seen = new Set<string>();
  return intents.filter((i) => {
    const key = JSON.stringify(i);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Whether any intent needs the image's text, so OCR must run whatever the image looks like. */
export function needsText(intents: Intent[]): boolean {
  return intents.some((i) => i.kind === 'text');
}
