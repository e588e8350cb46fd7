// Packages the app into dist/: the sources and a version file naming the build.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';

mkdirSync('dist', { recursive: true });
cpSync('src', 'dist/src', { recursive: true });
cpSync('package.json', 'dist/package.json');
writeFileSync('dist/VERSION', `${process.env.CODEBUILD_BUILD_NUMBER ?? 'local'} ${process.env.CODEBUILD_RESOLVED_SOURCE_VERSION ?? ''}\n`);
console.log('packaged dist/');
