/**
 * Debian packages: what the air-gapped worker build compiles against, and what the built
 * worker and the recorder need at run time. The setup script and the Dockerfile read
 * these lists through `diemcau worker apt-packages`, so there is one list, here.
 */
import { spawnSync } from 'node:child_process';

export const BUILD_PACKAGES = [
  'meson',
  'ninja-build',
  'pkg-config',
  'g++',
  'libuv1-dev',
  'make',
  'perl',
  'dpkg-dev',
  // openssl s_client is the DTLS peer of the build's own checks.
  'openssl',
  'libabsl-dev',
  'libflatbuffers-dev',
  'flatbuffers-compiler',
  'libsrtp2-dev',
] as const;

/**
 * Shared libraries the offline-built worker links to dynamically (OpenSSL is linked in
 * statically), plus ffmpeg, the openssl tool that makes self-signed certificates, and
 * a font with Vietnamese glyphs for the names and clock burned into the composite record.
 */
export const RUNTIME_PACKAGES = [
  'libuv1',
  'libsrtp2-1',
  'libabsl20220623',
  'ffmpeg',
  'openssl',
  'ca-certificates',
  'fonts-dejavu-core',
] as const;

/**
 * Only for the test suite: the delegate PCs it drives are headless Chromium, and one
 * Firefox ESR; `systemd-analyze verify` checks the service unit.
 */
export const TEST_PACKAGES = ['chromium', 'firefox-esr', 'systemd'] as const;

export function missingPackages(packages: readonly string[]): string[] {
  return packages.filter((pkg) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('install ok installed');
  });
}
