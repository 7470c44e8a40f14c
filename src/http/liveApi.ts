/**
 * The operator API over a session while it runs and after (`/api/v1/sessions/:id/…`):
 * the live view's figures (LiveQuality's last sample, with the recording state and the
 * disk), the chair's controls acting for the operator, and the archive's verification
 * and export to a mounted drive, with progress. Every route needs an operator.
 */
import path from 'node:path';
import type { FastifyPluginCallback } from 'fastify';
import { errors } from '../../common/errors.js';
import { archiveDirOf } from '../../archive/archivePaths.js';
import { type ExportOutcome, exportArchive } from '../../archive/exportArchive.js';
import { verifyArchive } from '../../archive/verifyArchive.js';
import type { Operators } from '../auth/Operators.js';
import type { TokenService } from '../auth/TokenService.js';
import type { DiskMonitor } from '../recording/DiskMonitor.js';
import type { LiveQuality } from '../sessions/LiveQuality.js';
import type { LiveSessions } from '../sessions/LiveSessions.js';
import type { Actor } from '../sessions/Session.js';
import type { SessionService } from '../sessions/SessionService.js';
import { ERROR, SESSION_PARAMS } from './apiSchemas.js';
import { operatorAuth } from './operatorAuth.js';
import type { BandwidthGovernor } from '../bandwidth/BandwidthGovernor.js';

export interface LiveApiDeps {
  tokens: TokenService;
  operators: Operators;
  sessions: SessionService;
  live: LiveSessions;
  quality: LiveQuality;
  bandwidth: BandwidthGovernor;
  disk: DiskMonitor;
  dataDir: string;
  ffmpeg: string | undefined;
}

export const CONTROL_ACTIONS = [
  'mute',
  'unmute',
  'remove',
  'lock',
  'unlock',
  'spotlight',
  'clear-spotlight',
  'recording-on',
  'recording-off',
] as const;
type ControlAction = (typeof CONTROL_ACTIONS)[number];

type SessionParams = { Params: { id: string } };

interface ExportJob {
  to: string;
  startedAt: string;
  copiedBytes: number;
  totalBytes: number;
  file: string;
  outcome: ExportOutcome | null;
  error: string | null;
}

const OBJECT = { type: 'object', additionalProperties: true } as const;
const errorsOf = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, ERROR])) as Record<number, typeof ERROR>;

export const liveApi: FastifyPluginCallback<LiveApiDeps> = (app, deps, done) => {
  app.addHook('preHandler', operatorAuth(deps.tokens, deps.operators));
  const actor = (req: { operator?: string }): Actor => ({
    by: req.operator ?? 'operator',
    role: 'operator',
  });
  const exports = new Map<string, ExportJob>();

  app.get<SessionParams>(
    '/sessions/:id/live',
    { schema: { params: SESSION_PARAMS, response: { 200: OBJECT, ...errorsOf(404) } } },
    async (req) => {
      const view = deps.sessions.view(req.params.id);
      if (deps.live.has(view.id) && deps.quality.of(view.id) === null) {
        // Opened since the last sample: sample now rather than show nothing.
        await deps.quality.fresh();
      }
      const disk = deps.disk.health();
      return {
        state: view.state,
        live: deps.quality.of(view.id),
        bandwidth: deps.bandwidth.status(view.id),
        disk: { freeBytes: disk.freeBytes, low: disk.low, minFreeBytes: disk.minFreeBytes },
      };
    },
  );

  app.post<SessionParams & { Body: { action: ControlAction; pointId?: string } }>(
    '/sessions/:id/controls',
    {
      schema: {
        params: SESSION_PARAMS,
        body: {
          type: 'object',
          required: ['action'],
          additionalProperties: false,
          properties: {
            action: { type: 'string', enum: CONTROL_ACTIONS },
            pointId: { type: 'string', maxLength: 64 },
          },
        },
        response: { 200: OBJECT, ...errorsOf(400, 403, 404, 409) },
      },
    },
    async (req) => {
      const { id } = req.params;
      const view = deps.sessions.view(id);
      if (!deps.live.has(id)) {
        throw new errors.SESSION_NOT_OPEN(`${view.state}, no point connected`);
      }
      const live = await deps.live.open(id);
      const { action, pointId } = req.body;
      const who = actor(req);
      const point = (): string => {
        if (pointId === undefined) {
          throw new errors.BAD_REQUEST(`${action} needs a pointId`);
        }
        return pointId;
      };
      switch (action) {
        case 'mute':
        case 'unmute':
          await live.room.setPointMuted(who, point(), action === 'mute');
          break;
        case 'remove':
          live.room.removePoint(who, point());
          break;
        case 'lock':
        case 'unlock':
          live.room.setLocked(who, action === 'lock');
          break;
        case 'spotlight':
          live.room.setSpotlight(who, point());
          break;
        case 'clear-spotlight':
          live.room.setSpotlight(who, null);
          break;
        case 'recording-on':
        case 'recording-off':
          await live.setRecording(who, action === 'recording-on');
          break;
      }
      // The live view as it is after the action.
      await deps.quality.fresh();
      return { done: action, live: deps.quality.of(id) };
    },
  );

  app.post<SessionParams>(
    '/sessions/:id/recordings/verify',
    { schema: { params: SESSION_PARAMS, response: { 200: OBJECT, ...errorsOf(404) } } },
    async (req) => {
      deps.sessions.get(req.params.id);
      return verifyArchive(archiveDirOf(deps.dataDir, req.params.id), {
        ...(deps.ffmpeg ? { ffmpeg: deps.ffmpeg } : {}),
      });
    },
  );

  app.post<SessionParams & { Body: { to: string } }>(
    '/sessions/:id/recordings/export',
    {
      schema: {
        params: SESSION_PARAMS,
        body: {
          type: 'object',
          required: ['to'],
          additionalProperties: false,
          properties: { to: { type: 'string', minLength: 1, maxLength: 1024 } },
        },
        response: { 202: OBJECT, ...errorsOf(400, 404, 409) },
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      const session = deps.sessions.get(id);
      if (session.state !== 'ended' && session.state !== 'archived') {
        throw new errors.RECORDINGS_NOT_FINAL(`the session is ${session.state}`);
      }
      if (!path.isAbsolute(req.body.to)) {
        throw new errors.BAD_REQUEST('`to` must be an absolute path (a mounted drive)');
      }
      const data = path.resolve(deps.dataDir);
      const target = path.resolve(req.body.to);
      if (target === data || target.startsWith(`${data}${path.sep}`)) {
        throw new errors.BAD_REQUEST('a backup goes to another drive, not into the data directory');
      }
      const running = exports.get(id);
      if (running && running.outcome === null && running.error === null) {
        throw new errors.TOO_MANY_REQUESTS('this archive is being exported already');
      }
      const job: ExportJob = {
        to: req.body.to,
        startedAt: new Date().toISOString(),
        copiedBytes: 0,
        totalBytes: 0,
        file: '',
        outcome: null,
        error: null,
      };
      exports.set(id, job);
      exportArchive(
        archiveDirOf(deps.dataDir, id),
        req.body.to,
        (p) => Object.assign(job, p),
        deps.ffmpeg ? { ffmpeg: deps.ffmpeg } : {},
      ).then(
        (outcome) => {
          job.outcome = outcome;
          try {
            deps.sessions.audit(id, 'archive-exported', actor(req).by, {
              to: req.body.to,
              status: outcome.status,
            });
          } catch (err) {
            req.log.warn({ err, sessionId: id }, 'export not written to the audit log');
          }
        },
        (err: unknown) => {
          job.error = (err as Error).message;
          req.log.warn({ err, sessionId: id }, 'export failed');
        },
      );
      return reply.code(202).send(job);
    },
  );

  app.get<SessionParams>(
    '/sessions/:id/recordings/export',
    { schema: { params: SESSION_PARAMS, response: { 200: OBJECT, ...errorsOf(404) } } },
    (req) => {
      deps.sessions.get(req.params.id);
      const job = exports.get(req.params.id);
      if (!job) {
        throw new errors.NOT_FOUND('no export of this archive since the server started');
      }
      return job;
    },
  );
  done();
};
