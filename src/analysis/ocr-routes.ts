import type { ModelRegistry, Route } from '../chat/model-registry.ts';

// `<name>-ocr` for every model: the same upstream, reached through analysis mode. Listed in
// /v1/models only for models that cannot see; for a vision model the variant still
// resolves (to compare a model's own vision with described images), but is not advertised.
// Without an analysis model none is advertised, yet each still resolves, so that asking for
// one with images says what is missing (analysis_unavailable), not that it does not exist.

export const OCR_SUFFIX = '-ocr';

export function registerOcrRoutes(models: ModelRegistry, advertise = true): Route[] {
  const added: Route[] = [];
  for (const base of models.list()) {
    if (base.analysisOf !== undefined) continue;
    const name = `${base.name}${OCR_SUFFIX}`;
    if (models.get(name)) continue; // a configured model of that name wins
    const route: Route = { ...base, name, vision: false, analysisOf: base.name, listed: advertise && !base.vision };
    models.add(route);
    added.push(route);
  }
  return added;
}
