/**
 * Planning and running reception sessions, for the operator API and the command line
 * alike: sessions and their bridge points, created, edited and moved through their
 * states (lifecycle.ts), every change checked, stored in one transaction and written to
 * the session's audit log with who did it.
 */
import { randomBytes } from 'node:crypto';
import { errors } from '../../common/errors.js';
import { appendAudit } from '../../archive/AuditLog.js';
import { archiveDirOf } from '../../archive/archivePaths.js';
import type { ManifestPlan } from '../../archive/manifest.js';
import type { Store } from '../store/Store.js';
import { checkTransition, isEditable, settledState } from './lifecycle.js';
import {
  type DueTimes,
  type LateStep,
  type PlannedPoint,
  type PlannedSession,
  type Progress,
  type SessionState,
  type TestSlot,
  dueTimes,
  lateSteps,
  slotAt,
} from './plan.js';
import {
  type PointFields,
  type SessionFields,
  category,
  checkSchedule,
  hostLevel,
  id,
  linkMbps,
  oneOf,
  people,
  slug,
  text,
  time,
} from './sessionInput.js';

/** A session as the API and the CLI show it. */
export interface SessionView {
  id: string;
  adHoc: boolean;
  title: string;
  caseSummary: string;
  category: string;
  hostLevel: string;
  chair: string;
  startsAt: string;
  endsAt: string;
  rehearsalAt: string | null;
  rehearsalOpen: boolean;
  state: SessionState;
  readyOverride: PlannedSession['readyOverride'];
  /** Its share of the central point's link, Mbit/s; null: an even share. */
  linkMbps: number | null;
  due: Record<keyof DueTimes, string>;
  late: LateStep[];
  revision: number;
  createdAt: string;
  updatedAt: string;
  points: PlannedPoint[];
}

export interface SessionServiceOptions {
  store: Store;
  dataDir: string;
  maxDelegatePoints: number;
  now?: () => Date;
  /** A state changed (the server opens, ends or archives what it runs). */
  onState?: (sessionId: string, from: SessionState, to: SessionState, by: string) => void;
}

export class SessionService {
  readonly #store: Store;
  readonly #o: SessionServiceOptions;
  readonly #now: () => Date;

  constructor(options: SessionServiceOptions) {
    this.#store = options.store;
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
  }

  get store(): Store {
    return this.#store;
  }

  now(): Date {
    return this.#now();
  }

  // ---- sessions --------------------------------------------------------------------

  create(input: SessionFields & { id?: string; points?: PointFields[] }, by: string): SessionView {
    const now = this.#now();
    const startsAt = time(input.startsAt, 'startsAt');
    const endsAt = time(input.endsAt, 'endsAt');
    const rehearsalAt =
      input.rehearsalAt === undefined || input.rehearsalAt === null
        ? null
        : time(input.rehearsalAt, 'rehearsalAt');
    checkSchedule(startsAt, endsAt, rehearsalAt);
    const session: PlannedSession = {
      id:
        input.id !== undefined
          ? id(input.id, 'id')
          : `${startsAt.toISOString().slice(0, 10)}-${randomBytes(2).toString('hex')}`,
      adHoc: false,
      title: text(input.title, 'title', 200, true),
      caseSummary: text(input.caseSummary, 'caseSummary', 4000, false),
      category: category(input.category),
      hostLevel: hostLevel(input.hostLevel),
      chair: text(input.chair, 'chair', 200, false),
      startsAt,
      endsAt,
      rehearsalAt,
      rehearsalOpen: false,
      state: 'planned',
      readyOverride: null,
      createdAt: now,
      updatedAt: now,
      revision: 1,
      linkMbps: input.linkMbps === undefined ? null : linkMbps(input.linkMbps),
    };
    const points = (input.points ?? []).map((p, i) => this.#newPoint(p, i));
    this.#store.transaction(() => {
      if (this.#store.getSession(session.id)) {
        throw new errors.SESSION_EXISTS(session.id);
      }
      this.#store.insertSession(session);
      for (const p of points) {
        this.#addPointIn(session.id, p);
      }
    });
    this.#audit(session.id, 'session-planned', by, {
      title: session.title,
      startsAt: session.startsAt.toISOString(),
      points: points.map((p) => p.id),
    });
    return this.view(session.id);
  }

  list(): SessionView[] {
    return this.#store.listSessions().map((s) => this.#view(s));
  }

  view(sessionId: string): SessionView {
    return this.#view(this.get(sessionId));
  }

  get(sessionId: string): PlannedSession {
    const session = this.#store.getSession(sessionId);
    if (!session) {
      throw new errors.SESSION_NOT_FOUND(sessionId);
    }
    return session;
  }

  /** Changes the plan; `revision`, when given, must be the one the editor started from. */
  edit(sessionId: string, fields: SessionFields & { revision?: number }, by: string): SessionView {
    const changed = this.#store.transaction(() => {
      const s = this.get(sessionId);
      if (!isEditable(s.state)) {
        throw new errors.SESSION_NOT_EDITABLE(s.state);
      }
      if (fields.revision !== undefined && fields.revision !== s.revision) {
        throw new errors.EDIT_CONFLICT(String(fields.revision), String(s.revision));
      }
      const patch = {
        ...(fields.title !== undefined ? { title: text(fields.title, 'title', 200, true) } : {}),
        ...(fields.caseSummary !== undefined
          ? { caseSummary: text(fields.caseSummary, 'caseSummary', 4000, false) }
          : {}),
        ...(fields.category !== undefined ? { category: category(fields.category) } : {}),
        ...(fields.hostLevel !== undefined ? { hostLevel: hostLevel(fields.hostLevel) } : {}),
        ...(fields.chair !== undefined ? { chair: text(fields.chair, 'chair', 200, false) } : {}),
        ...(fields.startsAt !== undefined ? { startsAt: time(fields.startsAt, 'startsAt') } : {}),
        ...(fields.endsAt !== undefined ? { endsAt: time(fields.endsAt, 'endsAt') } : {}),
        ...(fields.rehearsalAt !== undefined
          ? {
              rehearsalAt:
                fields.rehearsalAt === null ? null : time(fields.rehearsalAt, 'rehearsalAt'),
            }
          : {}),
        ...(fields.rehearsalOpen !== undefined ? { rehearsalOpen: fields.rehearsalOpen } : {}),
        // Live too: the chair may give a session more of the link, or less, as it runs.
        ...(fields.linkMbps !== undefined ? { linkMbps: linkMbps(fields.linkMbps) } : {}),
      };
      if (s.state === 'live' && (patch.startsAt || patch.rehearsalOpen !== undefined)) {
        throw new errors.SESSION_NOT_EDITABLE('live: its start and rehearsal are past');
      }
      checkSchedule(
        patch.startsAt ?? s.startsAt,
        patch.endsAt ?? s.endsAt,
        patch.rehearsalAt === undefined ? s.rehearsalAt : patch.rehearsalAt,
      );
      this.#store.updateSession(sessionId, patch, this.#now());
      return Object.keys(patch);
    });
    this.#audit(sessionId, 'session-edited', by, { fields: changed });
    return this.view(sessionId);
  }

  /**
   * Moves the session to `to`: `cancelled` before it is live; `ready` by hand needs a
   * reason (recorded with who), `live` opens it (from ready), `ended` ends it, `archived`
   * once `archiveCheck` says its recordings are joined and verified.
   */
  transition(
    sessionId: string,
    to: SessionState,
    by: string,
    reason?: string,
    archiveCheck?: () => string | null,
  ): SessionView {
    const target = oneOf(to, 'to', [
      'invited',
      'ready',
      'live',
      'ended',
      'archived',
      'cancelled',
    ] as const);
    const why = reason === undefined ? undefined : text(reason, 'reason', 500, false);
    const from = this.#store.transaction(() => {
      const s = this.get(sessionId);
      const settled = settledState(s, this.#progress(s));
      if (target === 'invited' || target === 'ready') {
        // The facts move a session to invited and ready; by hand only what they allow
        // (ready without every test passed, with a reason, which is recorded).
        if (settled === 'planned') {
          throw new errors.TRANSITION_NOT_DUE('not every delegate point has a valid invitation');
        }
        if (target === 'ready' && settled === 'invited' && !why) {
          throw new errors.TRANSITION_NOT_DUE(
            'not every point has passed its test two hours before: give the reason to mark it ready anyway',
          );
        }
        if (s.state !== 'planned' && !(s.state === 'invited' && target === 'ready')) {
          throw new errors.INVALID_TRANSITION(s.state, target);
        }
      } else {
        checkTransition(settled, target);
      }
      if (target === 'archived') {
        const problem = archiveCheck ? archiveCheck() : 'nothing checked the recordings';
        if (problem) {
          throw new errors.RECORDINGS_NOT_FINAL(problem);
        }
      }
      const readyOverride =
        target === 'ready' && settled !== 'ready'
          ? { by, reason: why ?? '', at: this.#now().toISOString() }
          : undefined;
      this.#store.updateSession(
        sessionId,
        {
          state: target,
          ...(readyOverride ? { readyOverride } : {}),
          ...(target === 'live' ? { rehearsalOpen: false } : {}),
        },
        this.#now(),
      );
      return s.state;
    });
    this.#audit(sessionId, `session-${target}`, by, {
      from,
      ...(why ? { reason: why } : {}),
    });
    this.#o.onState?.(sessionId, from, target, by);
    return this.view(sessionId);
  }

  /** The ad-hoc session a `diemcau token` link names, opened live on first use. */
  openAdHoc(sessionId: string): PlannedSession {
    return this.#store.transaction(() => {
      const existing = this.#store.getSession(sessionId);
      if (existing) {
        return existing;
      }
      const now = this.#now();
      const session: PlannedSession = {
        id: sessionId,
        adHoc: true,
        title: sessionId,
        caseSummary: '',
        category: 'other',
        hostLevel: 'district',
        chair: '',
        startsAt: now,
        endsAt: new Date(now.getTime() + 24 * 3_600_000),
        rehearsalAt: null,
        rehearsalOpen: false,
        state: 'live',
        readyOverride: null,
        createdAt: now,
        updatedAt: now,
        revision: 1,
        linkMbps: null,
      };
      this.#store.insertSession(session);
      return session;
    });
  }

  /** What a planned session is, for its archive (undefined for an ad-hoc one). */
  describe(sessionId: string): ManifestPlan | undefined {
    const s = this.#store.getSession(sessionId);
    if (!s || s.adHoc) {
      return undefined;
    }
    return { ...planFields(s), points: this.#store.listPoints(sessionId) };
  }

  // ---- points ----------------------------------------------------------------------

  addPoint(sessionId: string, fields: PointFields, by: string): PlannedPoint {
    const point = this.#store.transaction(() => {
      const s = this.get(sessionId);
      if (!isEditable(s.state)) {
        throw new errors.SESSION_NOT_EDITABLE(s.state);
      }
      const p = this.#newPoint(fields, this.#store.listPoints(sessionId).length);
      this.#addPointIn(sessionId, p);
      return p;
    });
    this.#audit(sessionId, 'point-added', by, { name: point.name, kind: point.kind }, point.id);
    this.settle(sessionId, by);
    return point;
  }

  editPoint(sessionId: string, pointId: string, fields: PointFields, by: string): PlannedPoint {
    const point = this.#store.transaction(() => {
      const s = this.get(sessionId);
      if (!isEditable(s.state)) {
        throw new errors.SESSION_NOT_EDITABLE(s.state);
      }
      const old = this.point(sessionId, pointId);
      const kind =
        fields.kind === undefined ? old.kind : oneOf(fields.kind, 'kind', ['central', 'delegate']);
      const next: PlannedPoint = {
        id: old.id,
        kind,
        name: fields.name === undefined ? old.name : text(fields.name, 'name', 120, true),
        organisation:
          fields.organisation === undefined
            ? old.organisation
            : text(fields.organisation, 'organisation', 200, false),
        people: fields.people === undefined ? old.people : people(fields.people),
      };
      if (kind !== old.kind) {
        this.#checkKinds(sessionId, kind, pointId);
      }
      this.#store.updatePoint(sessionId, next);
      return next;
    });
    this.#audit(sessionId, 'point-edited', by, { name: point.name, kind: point.kind }, pointId);
    return point;
  }

  removePoint(sessionId: string, pointId: string, by: string): void {
    this.#store.transaction(() => {
      const s = this.get(sessionId);
      if (!isEditable(s.state) || s.state === 'live') {
        throw new errors.SESSION_NOT_EDITABLE(s.state);
      }
      this.point(sessionId, pointId);
      this.#store.deletePoint(sessionId, pointId);
    });
    this.#audit(sessionId, 'point-deleted', by, {}, pointId);
    this.settle(sessionId, by);
  }

  point(sessionId: string, pointId: string): PlannedPoint {
    const p = this.#store.getPoint(sessionId, pointId);
    if (!p) {
      throw new errors.POINT_NOT_FOUND(pointId);
    }
    return p;
  }

  // ---- progress --------------------------------------------------------------------

  /** How far the invitations and tests are, from the store. */
  progress(sessionId: string): Progress {
    return this.#progress(this.get(sessionId));
  }

  /** Moves planned/invited/ready to where the facts put them (recorded when it moves). */
  settle(sessionId: string, by: string): void {
    const moved = this.#store.transaction(() => {
      const s = this.get(sessionId);
      const next = settledState(s, this.#progress(s));
      if (next === s.state) {
        return null;
      }
      this.#store.updateSession(sessionId, { state: next }, this.#now());
      return { from: s.state, to: next };
    });
    if (moved) {
      this.#audit(sessionId, `session-${moved.to}`, by, { from: moved.from, settled: true });
      this.#o.onState?.(sessionId, moved.from, moved.to, by);
    }
  }

  /**
   * Files a connectivity test under its point and the slot its time falls in, and moves
   * the session to `ready` when that was the last test it waited for. An ad-hoc session
   * (a token without a plan) or a point no longer in the plan has nothing to file it
   * under: null.
   */
  recordTest(
    sessionId: string,
    pointId: string,
    grade: 'pass' | 'warn' | 'fail',
    figures: Record<string, unknown>,
  ): { id: number; slot: TestSlot; at: Date } | null {
    const s = this.#store.getSession(sessionId);
    if (!s || s.adHoc || !this.#store.getPoint(sessionId, pointId)) {
      return null;
    }
    const at = this.#now();
    const slot = slotAt(s.startsAt, at);
    const id = this.#store.insertTest({ sessionId, pointId, slot, grade, figures, at });
    this.settle(sessionId, pointId);
    return { id, slot, at };
  }

  /** A line in the session's audit log (hash-chained, with the archive). */
  audit(
    sessionId: string,
    type: string,
    by: string,
    detail: Record<string, unknown>,
    pointId?: string,
  ): void {
    this.#audit(sessionId, type, by, detail, pointId);
  }

  #progress(s: PlannedSession): Progress {
    const points = this.#store.listPoints(s.id);
    const now = this.#now();
    const delegates = points.filter((p) => p.kind === 'delegate');
    const valid = (pointId: string): boolean => {
      const c = this.#store.currentCredential(s.id, pointId);
      return c !== undefined && c.expiresAt > now;
    };
    const passed = new Map<string, Set<string>>();
    for (const t of this.#store.testsOf(s.id)) {
      if (t.grade === 'pass') {
        const slot = slotAt(s.startsAt, t.at);
        passed.set(slot, (passed.get(slot) ?? new Set()).add(t.pointId));
      }
    }
    const count = (slot: string): number =>
      points.filter((p) => passed.get(slot)?.has(p.id)).length;
    return {
      delegates: delegates.length,
      invitedDelegates: delegates.filter((p) => valid(p.id)).length,
      points: points.length,
      passedDayBefore: count('day-before'),
      passedTwoHoursBefore: count('two-hours-before'),
    };
  }

  #view(s: PlannedSession): SessionView {
    const progress = this.#progress(s);
    const due = dueTimes(s.startsAt);
    return {
      id: s.id,
      adHoc: s.adHoc,
      ...planFields(s),
      rehearsalOpen: s.rehearsalOpen,
      state: s.state,
      readyOverride: s.readyOverride,
      linkMbps: s.linkMbps,
      due: {
        plan: due.plan.toISOString(),
        invitations: due.invitations.toISOString(),
        testDayBefore: due.testDayBefore.toISOString(),
        testTwoHoursBefore: due.testTwoHoursBefore.toISOString(),
      },
      late: lateSteps(s, progress, this.#now()),
      revision: s.revision,
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
      points: this.#store.listPoints(s.id),
    };
  }

  #newPoint(fields: PointFields, index: number): PlannedPoint {
    const name = text(fields.name, 'name', 120, true);
    return {
      id: fields.id !== undefined ? id(fields.id, 'id') : slug(name, `point-${index + 1}`),
      kind: oneOf(fields.kind, 'kind', ['central', 'delegate'] as const),
      name,
      organisation: text(fields.organisation, 'organisation', 200, false),
      people: people(fields.people),
    };
  }

  /** Inside a transaction: the id free, one central point, the delegate limit kept. */
  #addPointIn(sessionId: string, p: PlannedPoint): void {
    if (this.#store.getPoint(sessionId, p.id)) {
      throw new errors.POINT_EXISTS(p.id);
    }
    this.#checkKinds(sessionId, p.kind, null);
    this.#store.insertPoint(sessionId, p);
  }

  #checkKinds(sessionId: string, kind: 'central' | 'delegate', except: string | null): void {
    const others = this.#store.listPoints(sessionId).filter((p) => p.id !== except);
    if (kind === 'central' && others.some((p) => p.kind === 'central')) {
      throw new errors.CENTRAL_POINT('this one has its central point already');
    }
    const max = this.#o.maxDelegatePoints;
    if (kind === 'delegate' && others.filter((p) => p.kind === 'delegate').length >= max) {
      throw new errors.TOO_MANY_POINTS(String(max));
    }
  }

  #audit(
    sessionId: string,
    type: string,
    by: string,
    detail: Record<string, unknown>,
    pointId?: string,
  ): void {
    appendAudit(archiveDirOf(this.#o.dataDir, sessionId), {
      sessionId,
      type,
      by,
      ...(pointId !== undefined ? { pointId } : {}),
      detail,
    });
  }
}

/** What a session is about and when, as the API and the archive's manifest both say it. */
function planFields(s: PlannedSession): Omit<ManifestPlan, 'points'> {
  return {
    title: s.title,
    caseSummary: s.caseSummary,
    category: s.category,
    hostLevel: s.hostLevel,
    chair: s.chair,
    startsAt: s.startsAt.toISOString(),
    endsAt: s.endsAt.toISOString(),
    rehearsalAt: s.rehearsalAt?.toISOString() ?? null,
  };
}
