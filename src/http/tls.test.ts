import { statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../../test/helpers/cli.js';
import { loadConfig } from '../config/loadConfig.js';
import { isLoopback, tlsFor } from './tls.js';

t.test('loopback is plain HTTP; any other address gets a certificate, made once', (t) => {
  const dataDir = tempDir('tls');
  t.equal(tlsFor(loadConfig({ env: { DIEMCAU_DATA_DIR: dataDir } })), null);
  t.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost'));
  t.notOk(isLoopback('10.0.0.5'));

  const onLan = { DIEMCAU_HTTP_HOST: '10.0.0.5', DIEMCAU_MEDIASOUP_LISTEN_IP: '10.0.0.5' };
  const lan = loadConfig({ env: { DIEMCAU_DATA_DIR: dataDir, ...onLan } });
  const first = tlsFor(lan);
  t.ok(first?.selfSigned);
  t.match(
    first?.fingerprint,
    /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/,
    'SHA-256 fingerprint for the operator',
  );
  const keyFile = path.join(dataDir, 'tls', 'self-signed-key.pem');
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'the private key is 0600');
  t.equal(tlsFor(lan)?.fingerprint, first?.fingerprint, 'the same certificate on the next start');

  const configured = loadConfig({
    env: {
      DIEMCAU_DATA_DIR: tempDir('tls2'),
      ...onLan,
      DIEMCAU_HTTP_TLS_CERT_FILE: first?.certFile,
      DIEMCAU_HTTP_TLS_KEY_FILE: keyFile,
    },
  });
  const loaded = tlsFor(configured);
  t.equal(loaded?.selfSigned, false, 'configured files are used as given');
  t.equal(loaded?.fingerprint, first?.fingerprint);
  t.end();
});
