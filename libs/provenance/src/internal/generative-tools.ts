/**
 * Names of generative-AI tools as they appear in C2PA softwareAgent fields, EXIF Software, XMP
 * CreatorTool and PNG "Software" text. Each pattern is specific to a generator: editors that merely
 * host AI features (Photoshop, Lightroom, GIMP) are deliberately absent, since naming an editor is
 * not evidence. "Designer" alone is not matched (Affinity Designer is a vector editor).
 */
const generativeTools: readonly (readonly [RegExp, string])[] = [
  [/DALL[\s·\-_]?E/i, "DALL-E"],
  [/\bChatGPT\b|\bGPT-4o\b|\bgpt-image/i, "OpenAI GPT-4o image generation"],
  [/\bOpenAI\b/i, "OpenAI"],
  [/\bFirefly\b/i, "Adobe Firefly"],
  [/Midjourney/i, "Midjourney"],
  [/NovelAI/i, "NovelAI"],
  [/Stable[\s-]?Diffusion|\bSDXL\b|DreamStudio|Stability AI/i, "Stable Diffusion"],
  [/AUTOMATIC1111/i, "AUTOMATIC1111 Stable Diffusion WebUI"],
  [/ComfyUI/i, "ComfyUI"],
  [/InvokeAI/i, "InvokeAI"],
  [/Fooocus/i, "Fooocus"],
  [/Draw Things/i, "Draw Things"],
  [/DiffusionBee/i, "DiffusionBee"],
  [/\bImagen\b/i, "Google Imagen"],
  [/\bGemini\b|Nano[\s-]?Banana/i, "Google Gemini"],
  [/Bing Image Creator|Image Creator from (?:Microsoft|Designer)/i, "Bing Image Creator"],
  [/Microsoft Designer|Copilot Designer/i, "Microsoft Designer"],
  [/Leonardo\.?\s?Ai\b/i, "Leonardo.Ai"],
  [/Ideogram/i, "Ideogram"],
  [/NightCafe/i, "NightCafe"],
  [/Craiyon/i, "Craiyon"],
  [/\bFLUX\.1\b|Black Forest Labs/i, "FLUX"],
  [/Kandinsky/i, "Kandinsky"],
  [/Playground\s?(?:AI|v\d)/i, "Playground"],
  [/Recraft/i, "Recraft"],
];

/** The canonical name of the generative tool `name` refers to, or undefined. */
export function matchGenerativeTool(name: string): string | undefined {
  for (const [pattern, tool] of generativeTools) if (pattern.test(name)) return tool;
  return undefined;
}
