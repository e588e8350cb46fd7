/**
 * Helper programs CodeBuild images provide and buildspecs call (today `codebuild-hash-files`,
 * reference §1.11). They are POSIX `sh` scripts in `helpers/` beside this module, put on the
 * build's PATH by the runner, on the host and mounted into containers alike.
 */
import { fileURLToPath } from 'node:url';

/**
 * Absolute directory holding the helper scripts: `src/build/helpers` under tsx, and
 * `dist/build/helpers` once built (`npm run build` copies the scripts there).
 */
export function helperBinDir(): string {
  return fileURLToPath(new URL('./helpers', import.meta.url));
}
