import t from 'tap';
import type { Role } from '../../protocol/signaling.js';
import { type Actor, type PointClaims, Session, type SessionEvent } from './Session.js';

// The session's rules, without a media server: who may come in, who may act, and that
// every change is in the timeline with who did it.
function session(maxDelegatePoints = 2): { s: Session; events: SessionEvent[] } {
  const s = new Session('s', { maxDelegatePoints });
  const events: SessionEvent[] = [];
  s.observer.on('event', (e) => events.push(e));
  return { s, events };
}

const claims = (pointId: string, role: Role = 'delegate'): PointClaims => ({
  pointId,
  pointName: pointId.toUpperCase(),
  pointKind: role === 'host' ? 'central' : 'delegate',
  role,
});
const chair: Actor = { by: 'central', role: 'host' };
const operator: Actor = { by: 'operator:lan', role: 'operator' };
const delegate: Actor = { by: 'hanoi', role: 'delegate' };

t.test('a point joins once; back on a new connection it is reconnected, not joined again', (t) => {
  const { s, events } = session();
  t.equal(s.admit(claims('central', 'host'), true).arrival, 'joined');
  t.equal(s.admit(claims('hanoi'), true).arrival, 'joined');
  s.reconnecting('hanoi');
  t.equal(s.points.get('hanoi')?.connection, 'reconnecting');
  t.equal(s.admit(claims('hanoi'), true).arrival, 'reconnected');
  t.equal(s.points.get('hanoi')?.connection, 'connected');
  t.equal(s.admit(claims('hanoi'), false).arrival, 'rejoined', 'its own rejoin is no event');
  t.same(
    events.map((e) => [e.type, e.pointId ?? null]),
    [
      ['point-joined', 'central'],
      ['point-joined', 'hanoi'],
      ['point-reconnecting', 'hanoi'],
      ['point-reconnected', 'hanoi'],
    ],
  );
  t.end();
});

t.test('the delegate limit counts delegates present, not observers or the central point', (t) => {
  const { s } = session(2);
  s.admit(claims('central', 'host'), true);
  s.admit(claims('a'), true);
  s.admit(claims('b'), true);
  t.throws(() => s.admit(claims('c'), true), { code: 'DC_ERR_SESSION_FULL' });
  t.doesNotThrow(() => s.admit(claims('watcher', 'observer'), true), 'observers do not count');
  s.left('b', 'left');
  t.doesNotThrow(() => s.admit(claims('c'), true), 'a place freed is taken');
  t.end();
});

t.test('a lock keeps new points out, not those admitted before', (t) => {
  const { s, events } = session();
  s.admit(claims('central', 'host'), true);
  s.admit(claims('hue'), true);
  s.setLocked(true, chair);
  s.left('hue', 'connection-lost');
  t.throws(() => s.admit(claims('hcm'), true), { code: 'DC_ERR_SESSION_LOCKED' });
  t.doesNotThrow(() => s.admit(claims('hue'), true), 'hue was admitted before the lock');
  s.setLocked(false, operator);
  t.doesNotThrow(() => s.admit(claims('hcm'), true));
  t.same(
    events.filter((e) => e.type.startsWith('session-')).map((e) => [e.type, e.by]),
    [
      ['session-locked', 'central'],
      ['session-unlocked', 'operator:lan'],
    ],
  );
  t.end();
});

t.test('only a chair or an operator may control, and a removed point stays out', (t) => {
  const { s, events } = session();
  s.admit(claims('central', 'host'), true);
  s.admit(claims('hanoi'), true);
  for (const act of [
    () => s.setMuted('central', true, delegate),
    () => s.remove('central', delegate),
    () => s.setLocked(true, delegate),
    () => s.setSpotlight('central', delegate),
  ]) {
    t.throws(act, { code: 'DC_ERR_FORBIDDEN' });
  }
  t.throws(() => s.remove('central', chair), { code: 'DC_ERR_FORBIDDEN' }, 'not itself');
  t.throws(() => s.setMuted('nobody', true, chair), { code: 'DC_ERR_POINT_NOT_FOUND' });
  s.remove('hanoi', operator);
  s.left('hanoi', 'removed');
  t.throws(() => s.admit(claims('hanoi'), true), { code: 'DC_ERR_POINT_REMOVED' });
  t.same(
    events.filter((e) => e.pointId === 'hanoi').map((e) => [e.type, e.by ?? null]),
    [
      ['point-joined', null],
      ['point-removed', 'operator:lan'],
      ['point-left', null],
    ],
  );
  t.end();
});

t.test('a muted point stays muted when it comes back; the spotlight goes with its point', (t) => {
  const { s } = session();
  s.admit(claims('central', 'host'), true);
  s.admit(claims('hanoi'), true);
  t.equal(s.setMuted('hanoi', true, chair).mutedByOperator, true);
  s.setSpotlight('hanoi', chair);
  t.equal(s.spotlight, 'hanoi');
  t.equal(s.left('hanoi', 'connection-lost'), true, 'it held the spotlight');
  t.equal(s.spotlight, null);
  const back = s.admit(claims('hanoi'), true);
  t.equal(back.point.mutedByOperator, true, 'still muted on its return');
  t.ok(s.isMuted('hanoi'));
  s.setMuted('hanoi', false, chair);
  t.notOk(s.isMuted('hanoi'));
  t.end();
});

t.test('switching recording records who, once per change', (t) => {
  const { s, events } = session();
  t.ok(s.setRecording(true, null, { auto: true }));
  t.notOk(s.setRecording(true, 'central'), 'already on: no change, no event');
  t.ok(s.setRecording(false, 'central'));
  t.same(
    events.filter((e) => e.type.startsWith('recording-')).map((e) => [e.type, e.by, e.detail]),
    [
      ['recording-enabled', undefined, { auto: true }],
      ['recording-disabled', 'central', undefined],
    ],
  );
  t.end();
});
