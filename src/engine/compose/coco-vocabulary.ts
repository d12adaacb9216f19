// The 80 COCO classes the detector knows, how to say them, and which everyday words mean
// them, so "how many puppies" finds dogs and "any vehicles" finds cars, buses and trucks.

export const COCO_CLASSES = [
  'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light',
  'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
  'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag', 'tie', 'suitcase', 'frisbee',
  'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
  'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple',
  'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
  'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote', 'keyboard',
  'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase',
  'scissors', 'teddy bear', 'hair drier', 'toothbrush',
] as const;

const IRREGULAR_PLURALS: Record<string, string> = {
  person: 'people', sheep: 'sheep', skis: 'pairs of skis', knife: 'knives', mouse: 'computer mice',
  bus: 'buses', 'wine glass': 'wine glasses', 'sports ball': 'balls', sandwich: 'sandwiches',
  'hot dog': 'hot dogs', 'teddy bear': 'teddy bears', couch: 'couches', tv: 'TVs', 'hair drier': 'hair driers',
  toothbrush: 'toothbrushes', 'cell phone': 'phones', remote: 'remote controls', broccoli: 'heads of broccoli',
  'potted plant': 'potted plants', 'dining table': 'tables', bench: 'benches', scissors: 'pairs of scissors',
};

/** How the class reads in a sentence (singular). */
const DISPLAY: Record<string, string> = {
  tv: 'TV', 'sports ball': 'ball', 'cell phone': 'phone', remote: 'remote control', mouse: 'computer mouse',
  skis: 'pair of skis', scissors: 'pair of scissors', 'dining table': 'table',
};

export function singular(label: string): string {
  return DISPLAY[label] ?? label;
}

export function plural(label: string): string {
  return IRREGULAR_PLURALS[label] ?? `${singular(label)}s`;
}

/** "1 dog", "3 horses", "no dogs". */
export function countPhrase(label: string, count: number): string {
  if (count === 0) return `no ${plural(label)}`;
  return count === 1 ? `${article(singular(label))} ${singular(label)}` : `${count} ${plural(label)}`;
}

export function article(word: string): string {
  return /^[aeiou]/i.test(word) && !/^(uni|eu|one)/i.test(word) ? 'an' : 'a';
}

// Words people use → the classes they mean. Group words map to several classes.
const SYNONYMS: Record<string, string[]> = {
  people: ['person'], persons: ['person'], human: ['person'], humans: ['person'], man: ['person'], men: ['person'],
  woman: ['person'], women: ['person'], child: ['person'], children: ['person'], kid: ['person'], kids: ['person'],
  boy: ['person'], boys: ['person'], girl: ['person'], girls: ['person'], guy: ['person'], guys: ['person'],
  someone: ['person'], somebody: ['person'], anyone: ['person'], anybody: ['person'], pedestrian: ['person'], pedestrians: ['person'],
  puppy: ['dog'], puppies: ['dog'], doggy: ['dog'], kitten: ['cat'], kittens: ['cat'], kitty: ['cat'],
  bike: ['bicycle', 'motorcycle'], bikes: ['bicycle', 'motorcycle'], motorbike: ['motorcycle'], motorbikes: ['motorcycle'],
  plane: ['airplane'], planes: ['airplane'], aeroplane: ['airplane'], aeroplanes: ['airplane'], aircraft: ['airplane'],
  ship: ['boat'], ships: ['boat'], pickup: ['truck'], lorry: ['truck'], lorries: ['truck'],
  vehicle: ['car', 'truck', 'bus', 'motorcycle', 'bicycle', 'train', 'boat', 'airplane'],
  vehicles: ['car', 'truck', 'bus', 'motorcycle', 'bicycle', 'train', 'boat', 'airplane'],
  automobile: ['car'], automobiles: ['car'],
  animal: ['bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe'],
  animals: ['bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe'],
  pet: ['cat', 'dog'], pets: ['cat', 'dog'], pony: ['horse'], ponies: ['horse'], cattle: ['cow'], cows: ['cow'],
  lamb: ['sheep'], lambs: ['sheep'], eagle: ['bird'], eagles: ['bird'],
  phone: ['cell phone'], phones: ['cell phone'], smartphone: ['cell phone'], smartphones: ['cell phone'], mobile: ['cell phone'],
  television: ['tv'], televisions: ['tv'], tvs: ['tv'], monitor: ['tv'], screen: ['tv'], sofa: ['couch'], sofas: ['couch'],
  table: ['dining table'], tables: ['dining table'], plant: ['potted plant'], plants: ['potted plant'],
  ball: ['sports ball'], balls: ['sports ball'], fridge: ['refrigerator'], fridges: ['refrigerator'],
  glass: ['wine glass'], glasses: ['wine glass'], mug: ['cup'], mugs: ['cup'], doughnut: ['donut'], doughnuts: ['donut'],
  bag: ['handbag', 'backpack', 'suitcase'], bags: ['handbag', 'backpack', 'suitcase'], luggage: ['suitcase'],
  necktie: ['tie'], neckties: ['tie'], books: ['book'], laptops: ['laptop'], computer: ['laptop'], computers: ['laptop'],
  food: ['banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake'],
  fruit: ['banana', 'apple', 'orange'],
};

const BY_NAME = new Map<string, string[]>();
for (const label of COCO_CLASSES) {
  BY_NAME.set(label, [label]);
  BY_NAME.set(plural(label).toLowerCase(), [label]);
  BY_NAME.set(`${label}s`, [label]);
  BY_NAME.set(`${label}es`, [label]);
  BY_NAME.set(singular(label).toLowerCase(), [label]);
}
for (const [word, labels] of Object.entries(SYNONYMS)) BY_NAME.set(word, labels);
/** The most words in any name above ("hot dog", "cell phone", …). */
const LONGEST_NAME = Math.max(...[...BY_NAME.keys()].map((name) => name.split(' ').length));

/**
 * The COCO classes a noun phrase refers to, or null when the engine does not know the thing.
 * Tries the whole phrase, then its last two words, then its last word ("red cars" → car).
 */
export function classesFor(phrase: string): string[] | null {
  const words = phrase.toLowerCase().replace(/[^a-z\s-]/g, ' ').split(/\s+/).filter(Boolean);
  // Only the tails that could be a name: joining every tail of a long phrase (a question of
  // thousands of words) took time quadratic in its length.
  for (let start = Math.max(0, words.length - LONGEST_NAME); start < words.length; start++) {
    const found = BY_NAME.get(words.slice(start).join(' '));
    if (found) return found;
  }
  return null;
}

export function isPeopleWord(phrase: string): boolean {
  const classes = classesFor(phrase);
  return classes?.length === 1 && classes[0] === 'person';
}
