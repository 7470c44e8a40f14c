/**
 * The running diemcau server: the HTTP API on Fastify and the mediasoup worker pool.
 * It owns both and closes both.
 */
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config/schema.js';
import { TokenService } from './auth/TokenService.js';
import { clientRoutes } from './http/clientRoutes.js';
import { apiRoutes } from './http/apiRoutes.js';
import { useCodedErrors } from './http/codedErrors.js';
import { isLoopback } from './config/addresses.js';
import { isOperatorOrSecret } from './http/credentials.js';
import { healthRoutes } from './http/healthRoutes.js';
import { registerRateLimits } from './http/rateLimits.js';
import { type TlsMaterial, tlsFor } from './http/tls.js';
import type { Logger } from '../common/logger.js';
import { packageVersion } from '../common/paths.js';
import { DiskMonitor } from './recording/DiskMonitor.js';
import { RecorderSupervisor } from './recording/RecorderSupervisor.js';
import { RecordingProblems } from './recording/RecordingProblems.js';
import { MemorySessionStore, type SessionStore } from './sessions/SessionStore.js';
import { LiveSessions } from './sessions/LiveSessions.js';
import { ArchiveFinisher } from './recording/ArchiveFinisher.js';
import { SignalingServer } from './signaling/SignalingServer.js';
import { WorkerPool } from '../workers/WorkerPool.js';

export interface ServerOptions {
  config: Readonly<Config>;
  logger: Logger;
  workerBin: string;
  /** Worker count; the caller resolves `numWorkers: 0` to the CPU count. */
  numWorkers: number;
  signingKey: Buffer;
  /** The ffmpeg the recorder process runs. */
  ffmpeg: string;
}

export class Server {
  readonly app: FastifyInstance;
  readonly pool: WorkerPool;
  /** The sessions the server knows of. */
  readonly store: SessionStore;
  /** The sessions with points connected now. */
  readonly sessions: LiveSessions;
  readonly signaling: SignalingServer;
  readonly recorder: RecorderSupervisor;
  /** Free space of the archive disk, and its alarm. */
  readonly disk: DiskMonitor;
  readonly url: string;
  readonly tls: TlsMaterial | null;
  readonly #log: Logger;
  #closing: Promise<void> | null = null;

  static async start(options: ServerOptions): Promise<Server> {
    const { config, logger } = options;
    const tls = tlsFor(config);
    const pool = await WorkerPool.create({
      size: options.numWorkers,
      workerBin: options.workerBin,
      logLevel: config.mediasoup.logLevel,
      listenIp: config.mediasoup.listenIp,
      announcedAddress: config.mediasoup.announcedAddress,
      firstPort: config.mediasoup.rtcPort,
      logger,
    });
    const store = new MemorySessionStore();
    const tokens = new TokenService(options.signingKey);
    let recorder: RecorderSupervisor;
    try {
      recorder = await RecorderSupervisor.start(options.ffmpeg, logger);
    } catch (error) {
      await pool.close();
      throw error;
    }
    const disk = new DiskMonitor(
      path.join(config.dataDir, 'archive'),
      config.recorder.minFreeDiskMb,
      logger,
    );
    const problems = new RecordingProblems(logger);
    const finisher = new ArchiveFinisher({
      dataDir: config.dataDir,
      logger,
      supervisor: recorder,
      problems,
      composite: config.recorder.composite,
    });
    const sessions = new LiveSessions({
      pool,
      dataDir: config.dataDir,
      store,
      finisher,
      logger,
      maxDelegatePoints: config.sessions.maxDelegatePoints,
      reconnectGraceMs: config.sessions.reconnectGraceSeconds * 1000,
      recorder: {
        supervisor: recorder,
        segmentSeconds: config.recorder.segmentSeconds,
        autoStart: config.recorder.autoStart,
        disk,
        problems,
      },
    });
    let app: FastifyInstance;
    let signaling: SignalingServer;
    try {
      app = await buildApp(config, logger, {
        pool,
        recorder,
        disk,
        problems,
        tokens,
        tls,
        sessions,
      });
      signaling = new SignalingServer(app, {
        tokens,
        sessions,
        logger,
        maxMessageBytes: config.signaling.maxMessageBytes,
        authTimeoutMs: config.signaling.authTimeoutSeconds * 1000,
        maxConnectionsPerAddress: config.signaling.maxConnectionsPerAddress,
      });
      await app.listen({ host: config.http.host, port: config.http.port });
    } catch (error) {
      disk.close();
      await pool.close();
      await recorder.close();
      throw error;
    }
    // What a stopped server left unfinished on the archives, in the background.
    void finisher.resume((id) => sessions.has(id));
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
    return new Server({
      app,
      pool,
      store,
      sessions,
      signaling,
      recorder,
      disk,
      url,
      tls,
      logger,
    });
  }

  private constructor(parts: {
    app: FastifyInstance;
    pool: WorkerPool;
    store: SessionStore;
    sessions: LiveSessions;
    signaling: SignalingServer;
    recorder: RecorderSupervisor;
    disk: DiskMonitor;
    url: string;
    tls: TlsMaterial | null;
    logger: Logger;
  }) {
    this.recorder = parts.recorder;
    this.disk = parts.disk;
    this.app = parts.app;
    this.pool = parts.pool;
    this.store = parts.store;
    this.sessions = parts.sessions;
    this.signaling = parts.signaling;
    this.url = parts.url;
    this.tls = parts.tls;
    this.#log = parts.logger;
  }

  /** Stops accepting requests, then closes the workers. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#log.info('server closing');
      try {
        // Clients first (told the server is going away), then sessions, HTTP, workers.
        await this.signaling.close();
        await this.sessions.close();
        await this.app.close();
        await this.recorder.close();
      } finally {
        this.disk.close();
        await this.pool.close();
      }
      this.#log.info('server closed');
    })();
    return this.#closing;
  }
}

async function buildApp(
  config: Readonly<Config>,
  logger: Logger,
  deps: {
    pool: WorkerPool;
    recorder: RecorderSupervisor;
    disk: DiskMonitor;
    problems: RecordingProblems;
    tokens: TokenService;
    tls: TlsMaterial | null;
    sessions: LiveSessions;
  },
): Promise<FastifyInstance> {
  const { tls, tokens } = deps;
  const app = Fastify({
    loggerInstance: logger,
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
    bodyLimit: 1024 * 1024,
    // By the time the HTTP server closes, signaling and rooms are closed: any connection
    // left (a browser's keep-alive, a request in flight) must not hold the shutdown.
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;

  await registerRateLimits(app, config.http.rateLimitPerMinute);
  useCodedErrors(app);

  // Pids, ports, paths and disk figures are for this machine, or for operators.
  const onLoopback = isLoopback(config.http.host);
  await app.register(healthRoutes, {
    pool: deps.pool,
    recorder: deps.recorder,
    disk: deps.disk,
    problems: deps.problems,
    version: packageVersion,
    startedAt: Date.now(),
    mayInspect: (req) => onLoopback || isOperatorOrSecret(tokens, req, config.http.metricsToken),
  });
  await app.register(clientRoutes, { tokens });
  await app.register(apiRoutes, { prefix: '/api/v1', tokens, sessions: deps.sessions });
  return app;
}
