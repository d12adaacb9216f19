import { classesFor, COCO_CLASSES } from './coco-vocabulary.ts';

// What the user asks, as intents the engine can answer from its findings. A message may ask
// several things ("How many dogs are there? What colours?"), so it is read sentence by
// sentence; statements that ask nothing ("Here is my photo.") are dropped, and a message
// that asks nothing recognisable is answered with a description.

/** A thing asked about: the user's words and the COCO classes they mean (null: unknown). */
export interface Subject {
  words: string;
  classes: string[] | null;
  faces?: boolean;
  /** No kind named ("how many are there?", "anything?"): whatever the engine can see. */
  generic?: boolean;
  /** Several things named ("dogs and cats"): each is answered, not their sum. */
  joined?: boolean;
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
/** What is left of "how many … are there?" when it names no kind of thing. */
const GENERIC_WORDS = /^(?:are|is|do|does|can|could|were|was|there|here|you|of them|of these|of those|objects?|things?|items?|anything|something|everything|stuff)?$/;
/** "and this one?" after a new image: the user wants the same done for it; a description is what it gets. */
const THIS_ONE = /^(?:and |what about |how about )?(?:this|that|these|those|this one|that one|the other one|the next one|the next|here)$/;
/** Subjects that are the image's text, answered by the text intent. */
const TEXT_WORDS = /\b(?:text|writing|written|printed|words?|letters?)\b/;
const PRONOUN_START = /^(?:it|this|that|these|those|there|here|he|she|they|you|i|we)\b/;
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
  const s = ` ${expandContractions(raw.toLowerCase().replace(/[‘’]/g, "'"))
    .replace(/[“”"]/g, ' ')
    .replace(/[?!.,;:]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()} `;
  const out: Intent[] = [];
  const subject = (words: string): Subject => makeSubject(words);

  // Size and format come first: "how many pixels" is not a count of things called pixels.
  if (/\b(?:how many pixels|resolution|dimensions?|megapixels?|how (?:big|large|wide|tall) is (?:the |this |that )?(?:image|picture|photo|file)|(?:image|picture|photo|file) size|size of (?:the |this )?(?:image|picture|photo|file)|what size|width|height)\b/.test(s)) {
    out.push({ kind: 'size', subject: null });
  } else {
    const big = /\bhow (?:big|large|small) (?:is|are) (?:the |this |that |these |those )?([a-z][a-z -]*?) $/.exec(s);
    const named = big && !IMAGE_WORDS.test(big[1]!.trim()) ? subject(big[1]!) : null;
    if (big) out.push({ kind: 'size', subject: named?.generic ? null : named });
  }
  if (/\b(?:file )?format\b|\bfile ?type\b|\bwhat kind of file\b|\b(?:is it|is this) (?:a |an )?(?:jpe?g|png|webp|gif|tiff?)\b/.test(s)) out.push({ kind: 'format' });
  if (/\b(?:orientation|portrait or landscape|landscape or portrait|upside down|rotated)\b/.test(s)) out.push({ kind: 'orientation' });

  const count =
    /\bhow many (?!pixels)([a-z][a-z -]*?)(?:$| (?:are|is|do|does|can|could|were|was|in|on|at|there|here|you|visible|shown|present|appear|total)\b)/.exec(s.trim()) ??
    /\b(?:count|number of) (?:the |all |any )?([a-z][a-z -]*?)(?:$| (?:in|on|that|there|visible|shown)\b)/.exec(s.trim());
  if (count) out.push({ kind: 'count', subject: subjectOfList(count[1]!) });
  // "What animals are there?": the group counted and named ("what kind of dog" stays unknown).
  const which = count ? null : /^ ?(?:what|which) ([a-z]+) (?:is|are) (?:this|that|these|those|there|here|shown|visible|in|on)\b/.exec(s);
  const group = which ? makeSubject(which[1]!) : null;
  if (group?.classes && group.classes.length > 1 && !group.generic) out.push({ kind: 'count', subject: group });

  const presence =
    /\b(?:is|are) there (?:an? |any |some |more than one )?([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /\b(?:do|can|could) you (?:see|spot|find|detect|notice) (?:an? |any |some )?([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /\b(?:does|do) (?:it|this|that|the (?:image|picture|photo)|this (?:image|picture|photo)) (?:contain|have|show|include|depict|feature)s? (?:an? |any |some )?([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /^ ?(?:is|are) (?:this|it|that|these|those) (?:an? |some )([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    /\bany ([a-z][a-z -]*?) *$/.exec(strip(s)) ??
    placedThing(s);
  if (presence && !count && !IMAGE_WORDS.test(presence[1]!.trim()) && !TEXT_WORDS.test(presence[1]!)) {
    out.push({ kind: 'presence', subject: subjectOfList(presence[1]!) });
  }

  if (/\b(?:text|say|says|said|written|writing|read|reads|words?|letters|transcribe|transcription|ocr|caption says|sign says|printed)\b/.test(s)) {
    out.push({ kind: 'text' });
  }
  const colour = /\bcolou?rs?\b/.test(s);
  if (colour) {
    const of = /\bcolou?rs? (?:is|are|of) (?:the |this |that |these |those )?([a-z][a-z -]*?) *$/.exec(strip(s));
    const named = of && !IMAGE_WORDS.test(of[1]!.trim()) ? subject(of[1]!) : null;
    out.push({ kind: 'colours', subject: named?.generic ? null : named });
  }
  // "Describe the image and …": asked in so many words, a description is given beside whatever
  // else the sentence asks ("describe the colours" is a question about colours).
  if (/\b(?:describe|summari[sz]e|caption) (?:the |this |that |my )?(?:image|picture|photo|photograph|pic|scan|screenshot|scene|it)\b|\bdescription\b/.test(s)) out.unshift({ kind: 'describe' });
  else if (
    !out.length &&
    (/\b(?:describe|description|what do you see|what can you see|what (?:is|s) (?:this|that|it|here|in|on|shown|happening|going on|the (?:image|picture|photo))|what are (?:these|those|they)|tell me (?:about|what)|summari[sz]e|caption|explain|analy[sz]e|identify|look at|what is it|whats this|what s this)\b/.test(s) ||
      /^ ?(?:what|what's|whats) ?$/.test(s) ||
      THIS_ONE.test(s.trim()))
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
  if (GENERIC_WORDS.test(clean)) return { words: 'things', classes: [...COCO_CLASSES], generic: true };
  return { words: clean, classes: classesFor(clean) };
}

/**
 * "dogs and cats", "a cat or a dog": every class named, when every part is a thing the engine
 * knows. Otherwise the phrase as a whole ("black and white dog" → dog; "dogs or trees" is
 * unknown, so neither half gets a yes or no).
 */
export function subjectOfList(words: string): Subject {
  const whole = makeSubject(words);
  const parts = whole.words.split(/\s*(?:,|&|\band\b|\bor\b)\s*/).filter(Boolean);
  if (parts.length < 2) return whole;
  const subjects = parts.map(makeSubject);
  if (subjects.some((p) => !p.classes || p.faces || p.generic)) return whole;
  const classes = [...new Set(subjects.flatMap((p) => p.classes!))];
  return classes.length > 1 ? { words: whole.words, classes, joined: true } : { words: whole.words, classes };
}

/** "what's" → "what is": the patterns above are written for the full words. */
function expandContractions(s: string): string {
  return s.replace(/\b(what|that|it|there|here|who|where|how)'s\b/g, '$1 is').replace(/\b(what|there|who|where)'re\b/g, '$1 are');
}

/**
 * "Is a dog in the picture?", "Is anyone there?": a thing placed in the image. Only for things
 * the engine knows, so "is it sunny in the picture?" stays a question it cannot answer.
 */
function placedThing(s: string): RegExpExecArray | null {
  const stripped = strip(s);
  if (stripped.trim() === s.trim()) return null;
  const m = /^ ?(?:is|are) (?:an? |any |some |the )?([a-z][a-z -]*?) *$/.exec(stripped);
  if (!m || PRONOUN_START.test(m[1]!) || !makeSubject(m[1]!).classes) return null;
  return m;
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
