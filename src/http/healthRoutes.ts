import type { FastifyInstance } from 'fastify';
import type { WorkerPool } from '../../workers/WorkerPool.js';
import type { RecorderSupervisor } from '../recording/RecorderSupervisor.js';

export interface HealthDeps {
  pool: WorkerPool;
  recorder: RecorderSupervisor;
  version: string;
  startedAt: number;
}

/**
 * `/healthz` answers 200 only when every worker slot and the recorder are up, so an IT
 * center's monitor sees a degraded server (503) while either is being restarted.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async (_req, reply) => {
    const workers = deps.pool.health();
    const recorder = deps.recorder.health();
    const ok = !deps.pool.closed && workers.alive === workers.size && recorder.alive;
    return reply.code(ok ? 200 : 503).send({
      status: ok ? 'ok' : 'degraded',
      version: deps.version,
      uptimeSeconds: Math.round((Date.now() - deps.startedAt) / 1000),
      workers,
      recorder,
    });
  });

  app.get('/metrics', async (_req, reply) => {
    const health = deps.pool.health();
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
}

function metric(name: string, type: 'gauge' | 'counter', help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
}
