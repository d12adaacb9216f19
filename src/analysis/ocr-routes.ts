import type { ModelRegistry, Route } from '../chat/model-registry.ts';

// `<name>-ocr` for every model: the same upstream, reached through analysis mode. Listed in
// /v1/models only for models that cannot see; for a vision model the variant still
// resolves (to compare a model's own vision with described images), but is not advertised.

export const OCR_SUFFIX = '-ocr';

export function registerOcrRoutes(models: ModelRegistry): Route[] {
  const added: Route[] = [];
  for (const base of models.list()) {
    if (base.analysisOf !== undefined) continue;
    const name = `${base.name}${OCR_SUFFIX}`;
    if (models.get(name)) continue; // a configured model of that name wins
    const route: Route = { ...base, name, vision: false, analysisOf: base.name, listed: !base.vision };
    models.add(route);
    added.push(route);
  }
  return added;
}
