import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import { errors } from '../../common/errors.js';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import type { DiskMonitor } from '../recording/DiskMonitor.js';
import type { RecorderSupervisor } from '../recording/RecorderSupervisor.js';
import type { ConnectivityProbes } from '../connectivity/ConnectivityProbes.js';
import type { LiveQuality, PointQuality } from '../sessions/LiveQuality.js';
import { PROBLEM_KINDS, type RecordingProblems } from '../recording/RecordingProblems.js';
import type { BandwidthGovernor } from '../bandwidth/BandwidthGovernor.js';

export interface HealthDeps {
  pool: WorkerPool;
  recorder: RecorderSupervisor;
  disk: DiskMonitor;
  problems: RecordingProblems;
  /** The live view's last sample of every session, and the workers' CPU. */
  quality: LiveQuality;
  /** Each live session's budget on the central link, and what its plan uses. */
  bandwidth: BandwidthGovernor;
  probes: ConnectivityProbes;
  testsByGrade: () => Record<'pass' | 'warn' | 'fail', number>;
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
    // Labels are session and point ids of the sessions live now (at most a few dozen
    // series), and the fixed grades and directions: no unbounded cardinality.
    const live = deps.quality.all();
    const governed = deps.bandwidth.statuses();
    /** One figure of each governed session's bandwidth account. */
    const perGovernedSession = (pick: (status: (typeof governed)[number]['status']) => number) =>
      governed.map(({ sessionId, status }) => ({
        labels: { session: sessionId },
        value: pick(status),
      }));
    const perPoint = (pick: (p: PointQuality) => number | null) =>
      live.flatMap((s) =>
        s.points.flatMap((p) => {
          const value = pick(p);
          return value === null
            ? []
            : [{ labels: { session: s.sessionId, point: p.pointId }, value }];
        }),
      );
    const tests = deps.testsByGrade();
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
        'diemcau_points_connected',
        'gauge',
        'Points connected to each live session',
        live.map((s) => ({
          labels: { session: s.sessionId },
          value: s.points.filter((p) => p.connection === 'connected').length,
        })),
      ),
      metric(
        'diemcau_session_bitrate_kbps',
        'gauge',
        'What the SFU receives (in) and sends (out) for each live session, kbit/s',
        live.flatMap((s) => [
          { labels: { session: s.sessionId, direction: 'in' }, value: sum(s.points, 'inKbps') },
          { labels: { session: s.sessionId, direction: 'out' }, value: sum(s.points, 'outKbps') },
        ]),
      ),
      metric(
        'diemcau_point_loss_pct',
        'gauge',
        'Packet loss of each connected point, the worse of both ways, %',
        perPoint((p) =>
          p.upLossPct === null && p.downLossPct === null
            ? null
            : Math.max(p.upLossPct ?? 0, p.downLossPct ?? 0),
        ),
      ),
      metric(
        'diemcau_point_rtt_ms',
        'gauge',
        'Round-trip time of each point, ms',
        perPoint((p) => p.rttMs),
      ),
      metric(
        'diemcau_worker_cpu_pct',
        'gauge',
        'CPU used by each mediasoup worker since the last sample, % of one core',
        deps.quality.workers().map((w) => ({ labels: { pid: String(w.pid) }, value: w.cpuPct })),
      ),
      metric(
        'diemcau_bandwidth_budget_kbps',
        'gauge',
        "Each live session's share of the central point's link, kbit/s",
        perGovernedSession((status) => status.budgetKbps),
      ),
      metric(
        'diemcau_bandwidth_planned_kbps',
        'gauge',
        'What each session sends across the central link by its plan (video, audio, RTX and probing), kbit/s',
        governed.flatMap(({ sessionId, status }) =>
          (['video', 'audio', 'overhead'] as const).map((part) => ({
            labels: { session: sessionId, part },
            value: status[`${part}Kbps`],
          })),
        ),
      ),
      metric(
        'diemcau_bandwidth_sent_kbps',
        'gauge',
        'What each session sent across the central link over the last second, as mediasoup counted it, kbit/s',
        perGovernedSession((status) => status.sentKbps),
      ),
      metric(
        'diemcau_bandwidth_margin_kbps',
        'gauge',
        'Kept free besides the headroom: how far the link carried more than the plan lately, kbit/s',
        perGovernedSession((status) => status.marginKbps),
      ),
      metric(
        'diemcau_bandwidth_point_kbps',
        'gauge',
        'Video planned to each point, kbit/s',
        governed.flatMap(({ sessionId, status }) =>
          status.points.map((p) => ({
            labels: { session: sessionId, point: p.pointId },
            value: p.receivingKbps,
          })),
        ),
      ),
      metric(
        'diemcau_bandwidth_video_paused',
        'gauge',
        'Video consumers paused because even their lowest layer did not fit',
        perGovernedSession((status) => status.pausedVideo),
      ),
      metric(
        'diemcau_bandwidth_layers_stopped',
        'gauge',
        'Simulcast layers the publishers were told to send as a trickle: nobody receives them (dynacast)',
        perGovernedSession((status) =>
          status.publishers.reduce((n, p) => n + p.layers - 1 - p.maxSpatialLayer, 0),
        ),
      ),
      metric(
        'diemcau_connectivity_tests',
        'gauge',
        'Connectivity tests kept, by grade',
        (['pass', 'warn', 'fail'] as const).map((grade) => ({
          labels: { grade },
          value: tests[grade],
        })),
      ),
      metric(
        'diemcau_connectivity_tests_running',
        'gauge',
        'Connectivity tests running now',
        deps.probes.size,
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

function sum(points: PointQuality[], key: 'inKbps' | 'outKbps'): number {
  return Math.round(points.reduce((total, p) => total + p[key], 0));
}

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
