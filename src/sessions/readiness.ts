import { slotAt, type TestSlot } from './plan.js';
import type { SessionService } from './SessionService.js';

/** A test as the board shows it: its grade, when, and its figures (for the detail). */
export interface TestSummary {
  grade: 'pass' | 'warn' | 'fail';
  at: string;
  id: number;
  figures: Record<string, unknown>;
}

/** One point's row on the readiness board. */
export interface PointReadiness {
  pointId: string;
  name: string;
  kind: 'central' | 'delegate';
  invitation: {
    issued: boolean;
    issuedAt: string | null;
    printed: boolean;
    used: boolean;
    revokedAt: string | null;
    expiresAt: string | null;
    locked: boolean;
  };
  /** The latest test of each slot, if any. */
  tests: Partial<Record<TestSlot, TestSummary>>;
  /** The point's latest grade, whatever the slot. */
  grade: 'pass' | 'warn' | 'fail' | null;
  /** Connected to the session's room now. */
  joined: boolean;
}

/**
 * Who is ready (Decision 748 art. 6): for each point, its invitation (issued, printed,
 * used, revoked), its tests at one day and two hours before, and whether it is in the
 * room now. `present`: the points connected now.
 */
export function readiness(
  sessions: SessionService,
  sessionId: string,
  present: ReadonlySet<string>,
): PointReadiness[] {
  const session = sessions.get(sessionId);
  const store = sessions.store;
  const now = sessions.now();
  const credentials = store.credentialsOf(sessionId);
  const tests = store.testsOf(sessionId);
  return store.listPoints(sessionId).map((p) => {
    const mine = credentials.filter((c) => c.pointId === p.id);
    const current = mine.filter((c) => c.revokedAt === null).at(-1);
    const latestRevoked = mine.filter((c) => c.revokedAt !== null).at(-1);
    const byPoint = tests.filter((t) => t.pointId === p.id);
    const bySlot: PointReadiness['tests'] = {};
    for (const t of byPoint) {
      bySlot[slotAt(session.startsAt, t.at)] = {
        grade: t.grade,
        at: t.at.toISOString(),
        id: t.id,
        figures: t.figures,
      };
    }
    return {
      pointId: p.id,
      name: p.name,
      kind: p.kind,
      invitation: {
        issued: current !== undefined && current.expiresAt > now,
        issuedAt: current?.issuedAt.toISOString() ?? null,
        printed: current?.printedAt != null,
        used: current?.usedAt != null,
        revokedAt: current ? null : (latestRevoked?.revokedAt?.toISOString() ?? null),
        expiresAt: current?.expiresAt.toISOString() ?? null,
        locked: current?.lockedUntil != null && current.lockedUntil > now,
      },
      tests: bySlot,
      grade: byPoint.at(-1)?.grade ?? null,
      joined: present.has(p.id),
    };
  });
}
