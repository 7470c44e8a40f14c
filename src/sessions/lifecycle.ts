/**
 * The session's states and what moves it between them, in one place:
 *
 *   planned → invited → ready → live → ended → archived, and cancelled before live.
 *
 * `invited` and `ready` follow the facts (every delegate point holds a valid invitation;
 * every point passed its test in the two-hours-before window), so they are settled again
 * after each change (a delegate point added takes an invited session back to planned);
 * an operator may mark a session ready anyway, with a reason, and that stands. `live`,
 * `ended` and `cancelled` are a person's acts; `archived` needs the recordings joined
 * and verified.
 */
import { errors } from '../../common/errors.js';
import type { PlannedSession, Progress, SessionState } from './plan.js';

const NEXT: Record<SessionState, readonly SessionState[]> = {
  planned: ['invited', 'cancelled'],
  invited: ['ready', 'cancelled'],
  ready: ['live', 'cancelled'],
  live: ['ended'],
  ended: ['archived'],
  archived: [],
  cancelled: [],
};

/** States in which the plan (title, schedule, points) may still be changed. */
export function isEditable(state: SessionState): boolean {
  return state === 'planned' || state === 'invited' || state === 'ready' || state === 'live';
}

/** States in which a point may be in the session's room (live, or a rehearsal opened). */
export function mayJoin(session: PlannedSession): boolean {
  if (session.state === 'live') {
    return true;
  }
  return (
    (session.state === 'planned' || session.state === 'invited' || session.state === 'ready') &&
    session.rehearsalOpen
  );
}

/** Refuses a move the state machine does not have, naming both states. */
export function checkTransition(from: SessionState, to: SessionState): void {
  if (!NEXT[from].includes(to)) {
    throw new errors.INVALID_TRANSITION(from, to);
  }
}

/**
 * Where `invited`/`ready` stand after a change: `planned` until every delegate point
 * holds a valid invitation, `invited` until every point passed the two-hours-before test
 * (or an operator marked it ready), then `ready`. Other states are left as they are.
 */
export function settledState(session: PlannedSession, progress: Progress): SessionState {
  const { state } = session;
  if (state !== 'planned' && state !== 'invited' && state !== 'ready') {
    return state;
  }
  if (state === 'ready' && session.readyOverride) {
    return 'ready';
  }
  const invited = progress.delegates > 0 && progress.invitedDelegates === progress.delegates;
  if (!invited) {
    return 'planned';
  }
  const tested = progress.points > 0 && progress.passedTwoHoursBefore === progress.points;
  return tested ? 'ready' : 'invited';
}
