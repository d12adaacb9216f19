// The prompt the analysis model gets with each image. The description replaces the image
// for a model that cannot see it, so it must carry everything: all text verbatim first (a
// text model cannot re-read it), then what is shown, with the user's question in view.

export const DEFAULT_ANALYSIS_PROMPT = [
  'Describe this image thoroughly for a reader who cannot see it.',
  'First transcribe all visible text verbatim, exactly as written (keep line breaks, numbers and punctuation; do not correct or summarise).',
  'Then describe what the image shows: objects, people, layout, tables, charts, colours and anything else notable.',
  'The user asked about this image: "{question}". Make sure the description covers what the question needs, but do not answer it yourself.',
].join('\n');

/** Fills `{question}`; without a question, the line that holds it is dropped. */
export function renderAnalysisPrompt(template: string, question: string): string {
  // A function, not a string: in a replacement string `$&`, `$'` and `$$` are patterns, and the
  // user's text ("$$5") must go in as written.
  if (question) return template.replaceAll('{question}', () => question);
  return template
    .split('\n')
    .filter((line) => !line.includes('{question}'))
    .join('\n')
    .trim();
}
