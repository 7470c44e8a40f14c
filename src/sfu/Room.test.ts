import t from 'tap';
import { TokenService } from '../auth/TokenService.js';
import type { Role } from '../auth/roles.js';
import { createLogger } from '../../common/logger.js';
import { Session, type SessionEvent } from '../sessions/Session.js';
import { Peer } from './Peer.js';
import { Room } from './Room.js';
import { oneWorkerPool } from '../../test/helpers/workerPool.js';

const logger = createLogger('silent');
const pool = await oneWorkerPool(logger);
t.teardown(() => pool.close());
const tokens = new TokenService(Buffer.from('room-test-secret-0123456789-0123456789'));

/** A point with a channel that records what the room tells it. */
function point(id: string, role: Role) {
  const told: { method: string; data: unknown }[] = [];
  let closedWith: number | null = null;
  const claims = tokens.verify(
    tokens.issue(
      {
        sessionId: 's',
        pointId: id,
        role,
        pointName: id,
        pointKind: role === 'host' ? 'central' : 'delegate',
      },
      600,
    ),
  );
  const peer = new Peer(claims, {
    notify: (method, data) => told.push({ method, data }),
    close: (code) => (closedWith = code),
  });
  return { peer, told, closed: () => closedWith };
}

async function room(grace = 60_000): Promise<{ room: Room; events: SessionEvent[] }> {
  const session = new Session('s', { maxDelegatePoints: 2 });
  const events: SessionEvent[] = [];
  session.observer.on('event', (e) => events.push(e));
  const r = await Room.create({
    session,
    pool,
    logger,
    reconnectGraceMs: grace,
  });
  return { room: r, events };
}

t.test('joins, controls and leaves are all on the observer stream, in order', async (t) => {
  const { room: r, events } = await room();
  t.teardown(() => r.close());
  const caps = await r.rtpCapabilities();
  const host = point('central', 'host');
  const hanoi = point('hanoi', 'delegate');
  await r.join(host.peer, caps);
  await r.join(hanoi.peer, caps);
  await r.setPointMuted(host.peer, 'hanoi', true);
  r.setLocked(host.peer, true);
  r.setSpotlight(host.peer, 'hanoi');
  r.removePoint(host.peer, 'hanoi');
  t.same(
    events.map((e) => [e.type, e.pointId ?? null, e.by ?? null]),
    [
      ['point-joined', 'central', null],
      ['point-joined', 'hanoi', null],
      ['point-muted', 'hanoi', 'central'],
      ['session-locked', null, 'central'],
      ['spotlight', null, 'central'],
      ['point-removed', 'hanoi', 'central'],
      ['point-left', 'hanoi', null],
    ],
  );
  t.ok(
    events.every((e) => e.sessionId === 's' && !Number.isNaN(Date.parse(e.at))),
    'stamped',
  );
  t.ok(
    hanoi.told.some((n) => n.method === 'kicked'),
    'the removed point was told',
  );
  t.equal(hanoi.closed(), 4003);
  t.ok(
    host.told.some((n) => n.method === 'pointLeft'),
    'the others see it leave',
  );
});

t.test('a lost connection keeps the place for the grace period, then counts as left', async (t) => {
  const { room: r, events } = await room(300);
  t.teardown(() => r.close());
  const caps = await r.rtpCapabilities();
  const host = point('central', 'host');
  const hue = point('hue', 'delegate');
  await r.join(host.peer, caps);
  await r.join(hue.peer, caps);
  r.disconnected(hue.peer);
  t.equal(r.session.points.get('hue')?.connection, 'reconnecting');
  // Back within the grace period, on a new connection: no leave, no new join.
  const hueAgain = point('hue', 'delegate');
  await r.join(hueAgain.peer, caps);
  t.equal(r.session.points.get('hue')?.connection, 'connected');
  r.disconnected(hueAgain.peer);
  await new Promise((resolve) => setTimeout(resolve, 500));
  t.notOk(r.session.points.has('hue'), 'gone after the grace period');
  t.same(
    events.filter((e) => e.pointId === 'hue').map((e) => e.type),
    ['point-joined', 'point-reconnecting', 'point-reconnected', 'point-reconnecting', 'point-left'],
  );
});

t.test('the delegate limit and the lock hold; admitted points may return', async (t) => {
  const { room: r } = await room();
  t.teardown(() => r.close());
  const caps = await r.rtpCapabilities();
  const host = point('central', 'host');
  await r.join(host.peer, caps);
  await r.join(point('a', 'delegate').peer, caps);
  const b = point('b', 'delegate');
  await r.join(b.peer, caps);
  await t.rejects(r.join(point('c', 'delegate').peer, caps), { code: 'DC_ERR_SESSION_FULL' });
  await r.join(point('watcher', 'observer').peer, caps);
  t.pass('observers do not count against the delegate limit');
  r.setLocked(host.peer, true);
  r.leave(b.peer, 'left');
  await r.join(point('b', 'delegate').peer, caps);
  t.pass('a point admitted before the lock may come back');
});
