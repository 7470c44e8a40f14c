/**
 * Which ffmpeg records: the configured path, else the optional `ffmpeg-static` package
 * (its install downloads a binary, which fails on air-gapped machines and is then
 * skipped), else `ffmpeg` on PATH (Debian's, installed by the setup).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { errors } from '../common/errors.js';
import { isExecutable } from '../common/isExecutable.js';

export type FfmpegSource = 'config' | 'ffmpeg-static' | 'PATH';

export interface FfmpegBinary {
  path: string;
  source: FfmpegSource;
  /** First line of `ffmpeg -version`, e.g. `ffmpeg version 5.1.9-0+deb12u1`. */
  version: string;
}

export function resolveFfmpeg(
  configured: string | null,
  env: NodeJS.ProcessEnv = process.env,
): FfmpegBinary {
  if (configured !== null) {
    const file = configured.includes('/') ? configured : findOnPath(configured, env);
    if (file === null) {
      throw new errors.FFMPEG_MISSING(`ffmpeg.path is ${configured}, which is not on PATH`);
    }
    return probe(file, 'config', 'ffmpeg.path');
  }
  const fromPackage = ffmpegStaticPath();
  if (fromPackage !== null && isExecutable(fromPackage)) {
    return probe(fromPackage, 'ffmpeg-static', 'ffmpeg-static');
  }
  const onPath = findOnPath('ffmpeg', env);
  if (onPath !== null) {
    return probe(onPath, 'PATH', 'PATH');
  }
  throw new errors.FFMPEG_MISSING(
    'no ffmpeg.path configured, no ffmpeg-static package, and no ffmpeg on PATH. ' +
      'Install it (`apt-get install ffmpeg`, or run `npm run setup`) or set ffmpeg.path',
  );
}

function ffmpegStaticPath(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const value = require('ffmpeg-static') as unknown;
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

function probe(file: string, source: FfmpegSource, from: string): FfmpegBinary {
  const result = spawnSync(file, ['-hide_banner', '-version'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? `exit ${result.status ?? result.signal}`;
    throw new errors.FFMPEG_MISSING(`${file} (from ${from}) does not run: ${why}`);
  }
  const version = result.stdout.split('\n')[0]?.trim() ?? '';
  return { path: file, source, version };
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
    if (dir === '') {
      continue;
    }
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) {
      return candidate;
    }
  }
  return null;
}
