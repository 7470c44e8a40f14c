import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';

/**
 * An EC P-256 self-signed certificate and key (PEM) made with the openssl tool: for the
 * server's HTTPS when no certificate is configured, and for the worker's DTLS check.
 */
export function makeSelfSignedCertificate(options: {
  keyFile: string;
  certFile: string;
  commonName: string;
  days: number;
  subjectAltName?: string;
}): void {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      String(options.days),
      '-subj',
      `/CN=${options.commonName}`,
      ...(options.subjectAltName ? ['-addext', `subjectAltName=${options.subjectAltName}`] : []),
      '-keyout',
      options.keyFile,
      '-out',
      options.certFile,
    ],
    { stdio: 'pipe' },
  );
  chmodSync(options.keyFile, 0o600);
}
