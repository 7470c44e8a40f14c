import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as mediasoup from 'mediasoup';
import { loadSigningKey } from '../auth/signingKey.js';
import { createLogger } from '../../common/logger.js';
import { secretLogPaths } from '../config/schema.js';
import { Server } from '../Server.js';
import { packageVersion } from '../../common/paths.js';
import { resolveFfmpeg } from '../../archive/ffmpegBinary.js';
import { resolveWorkerBinary } from '../../workers/workerBinary.js';
import { RepeatLimiter } from '../../common/RepeatLimiter.js';
import { bootConfig } from './bootConfig.js';
import { openDemoSession } from '../sessions/demoSession.js';
import { CONFIG_FLAG, parseFlags } from './flags.js';

/**
 * `diemcau serve`: runs until SIGINT or SIGTERM, then shuts down in order (stop taking
 * requests, close the workers) and exits 0.
 */
export async function serve(args: string[]): Promise<number> {
  const { values } = parseFlags(args, CONFIG_FLAG);
  const config = bootConfig(values.config);
  const logger = createLogger(config.log.level, undefined, secretLogPaths());
  // A worker can warn once per packet: a few of each kind a minute, then a count.
  const workerWarnings = new RepeatLimiter(
    (line, held) => {
      const [namespace, log] = line.split('\u0000');
      if (held) {
        logger.warn(
          { namespace, repeated: held.count, seconds: held.seconds, last: log },
          'mediasoup warning repeated',
        );
      } else {
        logger.warn({ namespace }, log);
      }
    },
    { perWindow: 5, windowMs: 60_000 },
  );
  setInterval(() => workerWarnings.flush(), 60_000).unref();
  mediasoup.setLogEventListeners({
    ...(logger.isLevelEnabled('debug')
      ? { ondebug: (namespace: string, log: string) => logger.debug({ namespace }, log) }
      : {}),
    onwarn: (namespace, log) => workerWarnings.push(`${namespace}\u0000${log}`),
    onerror: (namespace, log, err) => logger.error({ namespace, err }, log),
  });
  logger.info({ config }, 'configuration loaded');

  const workerBin = resolveWorkerBinary(config.mediasoup.workerBin);
  // Every session is recorded: no ffmpeg, no server (doctor says the same, earlier).
  const ffmpeg = resolveFfmpeg(config.ffmpeg.path);
  logger.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, version: ffmpeg.version }, 'ffmpeg');
  logger.info({ workerBin: workerBin.path, source: workerBin.source }, 'mediasoup worker binary');
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });

  // An unexpected rejection somewhere must not take every point's session down with it.
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection');
  });

  const numWorkers = config.mediasoup.numWorkers || availableParallelism();
  let server: Server;
  try {
    server = await Server.start({
      config,
      logger,
      workerBin: workerBin.path,
      numWorkers,
      signingKey: loadSigningKey(config),
      ffmpeg: ffmpeg.path,
    });
  } catch (err) {
    logger.fatal({ err }, 'cannot start');
    logger.flush();
    console.error(`diemcau: cannot start: ${(err as Error).message}`);
    return 1;
  }
  // Before "ready": whoever waits for it finds the demo's links printed.
  const demo = config.sessions.demo ? openDemoSession(server.planning) : null;
  if (demo) {
    logger.info({ sessionId: demo.id }, 'demo session opened');
    console.error(
      `\nA demo session is open (sessions.demo: a fresh data directory). Open each link in a\n` +
        'browser (one per PC, or one tab each with headphones):\n' +
        demo.links
          .map(
            (l) =>
              `  ${l.name}\n    ${l.joinUrl}\n    (or ${server.url}/join: ${l.login} / ${l.password})`,
          )
          .join('\n') +
        `\nPlan real sessions with \`bin/diemcau session create\` or the API (${server.url}/docs).\n`,
    );
  }
  logger.info({ url: server.url, workers: numWorkers, version: packageVersion }, 'diemcau ready');
  console.error(
    `diemcau ${packageVersion} listening on ${server.url} (${numWorkers} media workers)`,
  );
  if (server.tls?.selfSigned) {
    console.error(
      `self-signed TLS certificate ${server.tls.certFile}\n` +
        `  SHA-256 fingerprint: ${server.tls.fingerprint}\n` +
        '  check this fingerprint in the browser before trusting the certificate',
    );
  }

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info({ signal }, 'shutting down');
  // A second signal while shutting down means the operator wants out now.
  const force = (): void => {
    logger.warn('second signal: exiting without a clean shutdown');
    process.exit(1);
  };
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  // Recordings are finished first; a close that hangs (a client that never answers its
  // close frame, say) must still end the process, not leave it half alive.
  const deadline = setTimeout(() => {
    logger.error('shutdown took longer than 45 s; exiting anyway');
    logger.flush();
    process.exit(1);
  }, 45_000);
  deadline.unref();
  await server.close();
  workerWarnings.flush(true);
  logger.info('shutdown complete');
  logger.flush();
  // Nothing may keep a stopped server's process alive (timers, sockets of departed clients).
  setImmediate(() => process.exit(0));
  return 0;
}
