/**
 * Which Docker image a build runs in, for the image its project names (issue 9): the agent's
 * image map first (`--image-map 'aws/codebuild/*=nagare/base:latest'`, first match wins), then
 * the AWS curated images (`aws/codebuild/*`, `public.ecr.aws/codebuild/*`), which exist only in
 * AWS and map to the agent's default image; any other name is used as written (the local engine,
 * then a pull from its registry). Pure: the caller logs the reason.
 */

/** One `PATTERN=IMAGE` rule; `*` in the pattern matches any run of characters. */
export interface ImageMapping {
  readonly pattern: string;
  readonly image: string;
}

export const CURATED_IMAGE_PATTERNS: readonly string[] = ['aws/codebuild/*', 'public.ecr.aws/codebuild/*'];

export interface ResolvedImage {
  readonly image: string;
  /** Why the image differs from the one asked for, for the build log; undefined when it does not. */
  readonly reason: string | undefined;
}

/** Parses `PATTERN=IMAGE`; undefined when it is not of that form. */
export function parseImageMapping(text: string): ImageMapping | undefined {
  const at = text.indexOf('=');
  if (at <= 0 || at === text.length - 1) return undefined;
  const pattern = text.slice(0, at).trim();
  const image = text.slice(at + 1).trim();
  return pattern === '' || image === '' || /\s/.test(pattern + image) ? undefined : { pattern, image };
}

export function resolveImage(requested: string, map: readonly ImageMapping[], defaultImage: string): ResolvedImage {
  const mapped = map.find((mapping) => matches(mapping.pattern, requested));
  if (mapped) return { image: mapped.image, reason: mapped.image === requested ? undefined : `Image ${requested} is mapped to ${mapped.image} by the image map (${mapped.pattern})` };
  if (CURATED_IMAGE_PATTERNS.some((pattern) => matches(pattern, requested))) {
    return { image: defaultImage, reason: `Image ${requested} is an AWS CodeBuild curated image, which exists only in AWS; using ${defaultImage} instead (map it with --image-map)` };
  }
  return { image: requested, reason: undefined };
}

/** `*` matches any run of characters, everything else itself. */
function matches(pattern: string, image: string): boolean {
  const source = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${source}$`).test(image);
}
