/**
 * A reception session as Decision 748 (art. 4–6) plans it: its case and category, the
 * host level, the chair, the central point and the delegate points with the people
 * expected there, and the schedule — the plan 5 days ahead, invitations 3 days ahead,
 * connectivity tests one day and two hours before. The due times are derived here, and
 * what is late.
 */

export const SESSION_STATES = [
  'planned',
  'invited',
  'ready',
  'live',
  'ended',
  'archived',
  'cancelled',
] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** Decision 748 art. 4: the case's category. */
export const CATEGORIES = ['a', 'b', 'c', 'd', 'e', 'other'] as const;
export type Category = (typeof CATEGORIES)[number];

/** Who hosts: the Government Inspectorate's leadership down to a district. */
export const HOST_LEVELS = ['ttcp', 'ban-tcd', 'ministry', 'province', 'district'] as const;
export type HostLevel = (typeof HOST_LEVELS)[number];

/** The connectivity-test slots of the decision: one day before, two hours before, any time. */
export { TEST_SLOTS, type TestSlot } from '../../protocol/connectivity.js';
import type { TestSlot } from '../../protocol/connectivity.js';

export interface ExpectedPerson {
  /** e.g. "Lãnh đạo", "Cán bộ tiếp dân", "Kỹ thuật". */
  role: string;
  name: string;
}

export interface PlannedPoint {
  id: string;
  kind: 'central' | 'delegate';
  name: string;
  organisation: string;
  people: ExpectedPerson[];
}

export interface PlannedSession {
  id: string;
  /** Opened by a `diemcau token` link, not planned: no schedule, no invitations. */
  adHoc: boolean;
  title: string;
  caseSummary: string;
  category: Category;
  hostLevel: HostLevel;
  chair: string;
  startsAt: Date;
  endsAt: Date;
  rehearsalAt: Date | null;
  /** Points may join before `live` for the rehearsal, once the operator opens it. */
  rehearsalOpen: boolean;
  state: SessionState;
  /** Marked ready by an operator without every test passed: who and why. */
  readyOverride: { by: string; reason: string; at: string } | null;
  createdAt: Date;
  updatedAt: Date;
  /** Counts every change: an edit based on an older revision is refused. */
  revision: number;
  /**
   * This session's share of the central point's link, Mbit/s: a cap the bandwidth
   * governor keeps it under (what it leaves goes to the others). null: an even share.
   */
  linkMbps: number | null;
}

export interface DueTimes {
  plan: Date;
  invitations: Date;
  testDayBefore: Date;
  testTwoHoursBefore: Date;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function dueTimes(startsAt: Date): DueTimes {
  const t = startsAt.getTime();
  return {
    plan: new Date(t - 5 * DAY),
    invitations: new Date(t - 3 * DAY),
    testDayBefore: new Date(t - DAY),
    testTwoHoursBefore: new Date(t - 2 * HOUR),
  };
}

/**
 * The window each test slot covers: the day-before test from 36 h to 12 h before the
 * start, the two-hours-before test from 4 h before to the start; any other time is ad
 * hoc. A test is filed under the slot its time falls in.
 */
export function slotAt(startsAt: Date, at: Date): TestSlot {
  const before = startsAt.getTime() - at.getTime();
  if (before <= 36 * HOUR && before >= 12 * HOUR) {
    return 'day-before';
  }
  if (before <= 4 * HOUR && before >= 0) {
    return 'two-hours-before';
  }
  return 'adhoc';
}

/** The end of a slot's window: past it, a slot without a passed test is late. */
export function slotEnds(startsAt: Date, slot: 'day-before' | 'two-hours-before'): Date {
  return new Date(startsAt.getTime() - (slot === 'day-before' ? 12 * HOUR : 0));
}

/** What a point's credential stays valid for after the planned end. */
export const CREDENTIAL_GRACE_MS = 12 * HOUR;

/** Steps of the plan not done by their due time. */
export type LateStep = 'plan' | 'invitations' | 'testDayBefore' | 'testTwoHoursBefore';

export interface Progress {
  /** Delegate points with a valid invitation, of all delegate points. */
  invitedDelegates: number;
  delegates: number;
  /** Points with a passed test in each slot, of all points. */
  passedDayBefore: number;
  passedTwoHoursBefore: number;
  points: number;
}

/** What is late now: the plan made under 5 days ahead, steps past due and not done. */
export function lateSteps(s: PlannedSession, progress: Progress, now: Date): LateStep[] {
  if (s.adHoc || s.state === 'cancelled' || s.state === 'ended' || s.state === 'archived') {
    return [];
  }
  const due = dueTimes(s.startsAt);
  const late: LateStep[] = [];
  if (s.createdAt > due.plan) {
    late.push('plan');
  }
  const before = (state: SessionState): boolean =>
    SESSION_STATES.indexOf(s.state) < SESSION_STATES.indexOf(state);
  if (
    now > due.invitations &&
    before('invited') &&
    progress.invitedDelegates < progress.delegates
  ) {
    late.push('invitations');
  }
  if (
    now > slotEnds(s.startsAt, 'day-before') &&
    before('live') &&
    progress.passedDayBefore < progress.points
  ) {
    late.push('testDayBefore');
  }
  if (
    now > due.testTwoHoursBefore &&
    before('ready') &&
    progress.passedTwoHoursBefore < progress.points
  ) {
    late.push('testTwoHoursBefore');
  }
  return late;
}
