import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai-upstream.ts';
import { startIris, type RunningIris } from '../../support/start-iris.ts';
import { startGate, type Gate } from './upstream-gate.ts';

// The world most analysis tests run in: a text-only upstream model `text-1` (it refuses
// image parts, as real text-only models do), a vision upstream model `vision-1` as the
// analysis model (slowable through its gate), and the real Iris in front of both.

export interface AnalysisWorld {
  iris: RunningIris;
  text: FakeOpenAI;
  textGate: Gate;
  vision: FakeOpenAI;
  visionGate: Gate;
  /** Chat requests the vision upstream has received. */
  visionCalls(): number;
  /** The chat request bodies the text upstream received. */
  textBodies(): { model: string; messages: { role: string; content: unknown }[] }[];
  close(): Promise<void>;
}

export async function startAnalysisWorld(
  analysis: Record<string, unknown> = {},
  options: { env?: NodeJS.ProcessEnv; raw?: Record<string, unknown> } = {},
): Promise<AnalysisWorld> {
  const text = await startFakeOpenAI({ models: ['text-1'] });
  const textGate = await startGate({ target: text.url, rejectImages: true });
  const vision = await startFakeOpenAI({ models: ['vision-1'] });
  const visionGate = await startGate({ target: vision.url });
  const iris = await startIris(
    {
      providers: {
        text: { type: 'openai', base_url: textGate.url },
        vision: { type: 'openai', base_url: visionGate.url },
      },
      models: [
        { name: 'text-1', provider: 'text', vision: false },
        { name: 'vision-1', provider: 'vision' },
      ],
      analysis: { model: 'vision-1', ...analysis },
      ...options.raw,
    },
    { env: options.env },
  );
  const chats = (fake: FakeOpenAI) => fake.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/chat/completions'));
  return {
    iris,
    text,
    textGate,
    vision,
    visionGate,
    visionCalls: () => chats(vision).length,
    textBodies: () => chats(text).map((r) => r.body as { model: string; messages: { role: string; content: unknown }[] }),
    async close() {
      await iris.close();
      await Promise.all([textGate.close(), visionGate.close(), text.close(), vision.close()]);
    },
  };
}

/** Every image_url part anywhere in a recorded body. */
export function imagePartsIn(body: { messages: { content: unknown }[] }): unknown[] {
  return body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content.filter((p: { type?: string }) => p.type === 'image_url') : []));
}

/** All the text a recorded body carries, joined. */
export function textIn(body: { messages: { content: unknown }[] }): string {
  return body.messages
    .flatMap((m) =>
      typeof m.content === 'string' ? [m.content] : Array.isArray(m.content) ? m.content.flatMap((p: { type?: string; text?: string }) => (p.type === 'text' ? [p.text ?? ''] : [])) : [],
    )
    .join('\n');
}
