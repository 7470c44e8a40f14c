/**
 * Browsers grant camera and microphone only to secure pages, so any address other than
 * loopback is served over TLS: the configured certificate, or a self-signed one made
 * into the data directory on first start, whose fingerprint the operator checks.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { isLoopback } from '../config/addresses.js';
import { makeSelfSignedCertificate } from '../../common/selfSignedCertificate.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** SHA-256 fingerprint, colon-separated hex, as browsers show it. */
  fingerprint: string;
  selfSigned: boolean;
  certFile: string;
}

export { isLoopback } from '../config/addresses.js';

export function tlsFor(config: Readonly<Config>): TlsMaterial | null {
  const { host, tlsCertFile, tlsKeyFile } = config.http;
  if (tlsCertFile !== null && tlsKeyFile !== null) {
    return load(tlsCertFile, tlsKeyFile, false);
  }
  if (isLoopback(host)) {
    return null;
  }
  const dir = path.join(config.dataDir, 'tls');
  const certFile = path.join(dir, 'self-signed-cert.pem');
  const keyFile = path.join(dir, 'self-signed-key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const wildcard = host === '0.0.0.0' || host === '::';
    const subjectAltName = wildcard
      ? `DNS:${hostname()}`
      : /^[\d.]+$/.test(host) || host.includes(':')
        ? `IP:${host}`
        : `DNS:${host}`;
    makeSelfSignedCertificate({
      keyFile,
      certFile,
      commonName: 'diemcau',
      days: 825,
      subjectAltName,
    });
  }
  return load(certFile, keyFile, true);
}

function load(certFile: string, keyFile: string, selfSigned: boolean): TlsMaterial {
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  const fingerprint = new X509Certificate(cert).fingerprint256;
  return { cert, key, fingerprint, selfSigned, certFile };
}
