import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { errors } from '../../common/errors.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import type { DiskMonitor } from '../recording/DiskMonitor.js';
import type { RecorderSupervisor } from '../recording/RecorderSupervisor.js';
import { PROBLEM_KINDS, type RecordingProblems } from '../recording/RecordingProblems.js';

export interface HealthDeps {
  pool: WorkerPool;
  recorder: RecorderSupervisor;
  disk: DiskMonitor;
  problems: RecordingProblems;
  version: string;
  startedAt: number;
  /**
   * Whether a request may see pids, ports, paths and disk figures (`/healthz` detail)
   * and `/metrics`: anyone on a loopback bind, operators (or the metrics token) on a
   * network one. The anonymous get the status alone.
   */
  mayInspect: (req: FastifyRequest) => boolean;
}

/**
 * `/healthz` answers 200 only when every worker slot and the recorder are up and the
 * archive disk has room, so an IT center's monitor sees a degraded server (503) while
 * one is being restarted or while nothing could be recorded.
 */
export const healthRoutes: FastifyPluginCallback<HealthDeps> = (app, deps, done) => {
  app.get('/healthz', { schema: HEALTH_SCHEMA }, async (req, reply) => {
    const workers = deps.pool.health();
    const recorder = deps.recorder.health();
    const disk = deps.disk.health();
    const ok = !deps.pool.closed && workers.alive === workers.size && recorder.alive && !disk.low;
    reply.code(ok ? 200 : 503);
    if (!deps.mayInspect(req)) {
      return reply.send({ status: ok ? 'ok' : 'degraded' });
    }
    return reply.send({
      status: ok ? 'ok' : 'degraded',
      version: deps.version,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      workers,
      recorder,
      disk: {
        path: disk.path,
        freeMb: Math.floor(disk.freeBytes / 1048576),
        minFreeMb: Math.floor(disk.minFreeBytes / 1048576),
        low: disk.low,
        ...(disk.low ? { alarm: 'archive disk almost full: recording is stopped' } : {}),
      },
      // What went wrong with the recordings lately (the latest 20), by session and point.
      recording: { problems: deps.problems.recent() },
    });
  });

  app.get('/metrics', { schema: { querystring: NO_QUERY } }, async (req, reply) => {
    if (!deps.mayInspect(req)) {
      throw new errors.FORBIDDEN(
        '/metrics on a network address needs an operator token or http.metricsToken',
      );
    }
    const health = deps.pool.health();
    const recorder = deps.recorder.health();
    const disk = deps.disk.health();
    const memory = process.memoryUsage();
    const lines = [
      metric('diemcau_workers_configured', 'gauge', 'mediasoup worker slots', health.size),
      metric('diemcau_workers_alive', 'gauge', 'mediasoup workers running', health.alive),
      metric(
        'diemcau_worker_restarts_total',
        'counter',
        'mediasoup workers respawned after dying',
        health.restarts,
      ),
      metric(
        'diemcau_recorder_up',
        'gauge',
        'Recorder process running (1) or not',
        +recorder.alive,
      ),
      metric(
        'diemcau_recorder_restarts_total',
        'counter',
        'Recorder process restarts after dying',
        recorder.restarts,
      ),
      metric(
        'diemcau_archive_disk_free_bytes',
        'gauge',
        'Free space on the archive disk',
        disk.freeBytes,
      ),
      metric(
        'diemcau_archive_disk_low',
        'gauge',
        'Archive disk below recorder.minFreeDiskMb: recording stopped (1)',
        +disk.low,
      ),
      metric(
        'diemcau_recording_problems_total',
        'counter',
        'Recording problems by kind (interrupted, start-failed, bad-segment, join-failed, composite-failed)',
        PROBLEM_KINDS.map((kind) => ({ labels: { kind }, value: deps.problems.count(kind) })),
      ),
      metric(
        'process_resident_memory_bytes',
        'gauge',
        'Resident memory of the Node process',
        memory.rss,
      ),
      metric(
        'process_uptime_seconds',
        'gauge',
        'Seconds since the server started',
        Math.round((Date.now() - deps.startedAt) / 1000),
      ),
    ];
    return reply.type('text/plain; version=0.0.4').send(lines.join(''));
  });
  done();
};

const NO_QUERY = { type: 'object', additionalProperties: false } as const;

/** The status for everyone; the detail (pids, ports, paths, disk) for who may inspect. */
const HEALTH_BODY = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    version: { type: 'string' },
    uptimeSeconds: { type: 'integer' },
    workers: { type: 'object', additionalProperties: true },
    recorder: { type: 'object', additionalProperties: true },
    disk: { type: 'object', additionalProperties: true },
    recording: { type: 'object', additionalProperties: true },
  },
} as const;

const HEALTH_SCHEMA = {
  querystring: NO_QUERY,
  response: { 200: HEALTH_BODY, 503: HEALTH_BODY },
} as const;

/** One metric: a value, or one value per label set (label values are ours, not users'). */
function metric(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  value: number | { labels: Record<string, string>; value: number }[],
): string {
  const series =
    typeof value === 'number'
      ? `${name} ${value}\n`
      : value
          .map(
            (s) =>
              `${name}{${Object.entries(s.labels)
                .map(([k, v]) => `${k}="${v}"`)
                .join(',')}} ${s.value}\n`,
          )
          .join('');
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${series}`;
}
