import type { ImagePipeline, PreparedImage } from './image-pipeline.ts';

// Placeholder until the full ingest pipeline lands: finds the images, changes nothing.
export const passthroughPipeline: ImagePipeline = {
  async prepare(request) {
    const images: PreparedImage[] = [];
    request.messages.forEach((message, messageIndex) => {
      if (!Array.isArray(message.content)) return;
      message.content.forEach((part, partIndex) => {
        if (part.type !== 'image_url') return;
        images.push({
          param: `messages[${messageIndex}].content[${partIndex}].image_url.url`,
          messageIndex, partIndex, sha256: null, format: null, width: null, height: null,
          tokens: 0, data: null, mediaType: null,
        });
      });
    });
    return { request, images, imageTokens: 0, release() {} };
  },
};
