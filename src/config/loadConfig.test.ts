import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../../test/helpers/cli.js';
import { loadConfig } from './loadConfig.js';
import { publicUrlOf } from './addresses.js';
import { envNameFor } from './schema.js';

t.test('defaults come from config/default.json and are frozen', (t) => {
  const config = loadConfig({ env: {}, cwd: '/home/clerk', root: '/srv/diemcau' });
  t.equal(config.http.port, 4443);
  t.equal(config.http.host, '127.0.0.1');
  t.equal(config.mediasoup.rtcPort, 44444);
  t.equal(
    config.dataDir,
    '/srv/diemcau/data',
    'relative dataDir is taken from the install directory, not the current one',
  );
  t.ok(Object.isFrozen(config) && Object.isFrozen(config.http), 'deeply frozen');
  t.throws(() => {
    (config.http as { port: number }).port = 1;
  }, TypeError);
  t.end();
});

t.test('DIEMCAU_* environment variables override, with typed parsing', (t) => {
  const config = loadConfig({
    env: {
      DIEMCAU_HTTP_PORT: '5000',
      DIEMCAU_MEDIASOUP_NUM_WORKERS: '3',
      DIEMCAU_DATA_DIR: '/var/lib/diemcau',
      DIEMCAU_MEDIASOUP_ANNOUNCED_ADDRESS: '203.0.113.7',
    },
  });
  t.equal(config.http.port, 5000);
  t.equal(config.mediasoup.numWorkers, 3);
  t.equal(config.dataDir, '/var/lib/diemcau');
  t.equal(config.mediasoup.announcedAddress, '203.0.113.7');
  t.end();
});

t.test('an invalid value fails naming the key and the variable it came from', (t) => {
  t.throws(() => loadConfig({ env: { DIEMCAU_HTTP_PORT: 'abc' } }), {
    code: 'DC_ERR_CONFIG_INVALID',
    message: /http\.port: must be an integer from 0 to 65535, got "abc" \(from DIEMCAU_HTTP_PORT\)/,
  });
  t.throws(() => loadConfig({ env: { DIEMCAU_HTTP_PORT: '70000' } }), { message: /http\.port/ });
  t.throws(() => loadConfig({ env: { DIEMCAU_HTTP_PORT: '12x' } }), { message: /http\.port/ });
  t.throws(() => loadConfig({ env: { DIEMCAU_LOG_LEVEL: 'loud' } }), {
    message: /log\.level: must be one of fatal, error, warn, info, debug, trace, silent/,
  });
  t.end();
});

t.test('a YAML or JSON --config file merges over defaults; unknown keys are refused', (t) => {
  const dir = tempDir('config');
  const yamlFile = path.join(dir, 'site.yaml');
  writeFileSync(yamlFile, 'http:\n  port: 8443\nmediasoup:\n  rtcPort: 50000\n');
  const config = loadConfig({ file: yamlFile, env: {} });
  t.equal(config.http.port, 8443);
  t.equal(config.http.host, '127.0.0.1', 'untouched keys keep their defaults');
  t.equal(config.mediasoup.rtcPort, 50000);

  const envWins = loadConfig({ file: yamlFile, env: { DIEMCAU_HTTP_PORT: '9000' } });
  t.equal(envWins.http.port, 9000, 'environment beats the file');

  const jsonFile = path.join(dir, 'bad.json');
  writeFileSync(jsonFile, JSON.stringify({ http: { prot: 1 } }));
  t.throws(() => loadConfig({ file: jsonFile, env: {} }), {
    code: 'DC_ERR_CONFIG_INVALID',
    message: /http\.prot: unknown key/,
  });
  writeFileSync(jsonFile, '{ not json');
  t.throws(() => loadConfig({ file: jsonFile, env: {} }), {
    code: 'DC_ERR_CONFIG_FILE_UNREADABLE',
  });
  t.throws(() => loadConfig({ file: path.join(dir, 'missing.yaml'), env: {} }), {
    code: 'DC_ERR_CONFIG_FILE_UNREADABLE',
  });
  t.end();
});

t.test('environment names follow DIEMCAU_<SECTION>_<KEY>', (t) => {
  t.equal(envNameFor(['http', 'port']), 'DIEMCAU_HTTP_PORT');
  t.equal(envNameFor(['mediasoup', 'numWorkers']), 'DIEMCAU_MEDIASOUP_NUM_WORKERS');
  t.equal(envNameFor(['dataDir']), 'DIEMCAU_DATA_DIR');
  t.end();
});

t.test('addresses that cannot work together are refused, naming the key to change', (t) => {
  t.throws(() => loadConfig({ env: { DIEMCAU_HTTP_HOST: '192.168.1.10' } }), {
    code: 'DC_ERR_CONFIG_INVALID',
    message:
      /mediasoup\.listenIp: 127\.0\.0\.1 serves this machine only, while http\.host 192\.168\.1\.10/,
  });
  t.throws(
    () =>
      loadConfig({
        env: { DIEMCAU_HTTP_HOST: '0.0.0.0', DIEMCAU_MEDIASOUP_LISTEN_IP: '0.0.0.0' },
      }),
    { message: /mediasoup\.announcedAddress: required when mediasoup\.listenIp is 0\.0\.0\.0/ },
  );
  for (const bad of ['ftp://x', 'not a url', 'http://192.168.1.10:4443']) {
    t.throws(
      () => loadConfig({ env: { DIEMCAU_HTTP_PUBLIC_URL: bad } }),
      { message: /http\.publicUrl: / },
      bad,
    );
  }
  const lan = loadConfig({
    env: {
      DIEMCAU_HTTP_HOST: '0.0.0.0',
      DIEMCAU_MEDIASOUP_LISTEN_IP: '0.0.0.0',
      DIEMCAU_MEDIASOUP_ANNOUNCED_ADDRESS: '192.168.1.10',
      DIEMCAU_HTTP_PUBLIC_URL: 'https://192.168.1.10:4443/',
    },
  });
  t.equal(publicUrlOf(lan), 'https://192.168.1.10:4443', 'the public address, as configured');
  t.equal(
    publicUrlOf(
      loadConfig({
        env: {
          DIEMCAU_HTTP_HOST: '0.0.0.0',
          DIEMCAU_MEDIASOUP_LISTEN_IP: '0.0.0.0',
          DIEMCAU_MEDIASOUP_ANNOUNCED_ADDRESS: '192.168.1.10',
        },
      }),
    ),
    null,
    'no address to give delegates for a server on every interface',
  );
  t.equal(publicUrlOf(loadConfig({ env: {} })), 'http://127.0.0.1:4443');
  t.end();
});
