import t from 'tap';
import { CongestedReceivers, RECOVERY_PER_S } from './CongestedReceivers.js';

// A delegate on a 1.5 Mbit/s line, planned for its configured 5 Mbit/s, loses what it is
// sent and has it resent: from then on it is planned under its own estimate.

t.test('a receiver that loses much of what it is sent is capped at its estimate', (t) => {
  const receivers = new CongestedReceivers();
  receivers.observe('d1', { sentKbps: 2700, rtxKbps: 1200, estimateKbps: 1400 }, 0);
  t.equal(receivers.capOf('d1', 0), 1400);
  t.equal(receivers.capOf('d2', 0), Infinity, 'another receiver is not');
  t.end();
});

t.test('a receiver that never lost is not capped, whatever its first estimate', (t) => {
  const receivers = new CongestedReceivers();
  // A new receiver's estimate starts low and grows only with traffic.
  receivers.observe('d1', { sentKbps: 1500, rtxKbps: 20, estimateKbps: 600 }, 0);
  receivers.observe('d1', { sentKbps: 50, rtxKbps: 40, estimateKbps: 300 }, 1000);
  t.equal(receivers.capOf('d1', 1000), Infinity, 'a few resends, or too little to tell');
  t.end();
});

t.test('a cap climbs back a few per cent a second, and is forgotten past the downlink', (t) => {
  const receivers = new CongestedReceivers();
  receivers.observe('d1', { sentKbps: 2700, rtxKbps: 1200, estimateKbps: 1000 }, 0);
  t.equal(receivers.capOf('d1', 10_000), 1000 * (1 + RECOVERY_PER_S * 10));
  receivers.keep(new Set(['d1']), 10_000, () => 4500);
  t.ok(receivers.capOf('d1', 10_000) < 4500, 'kept while under the downlink');
  receivers.keep(new Set(['d1']), 200_000, () => 4500);
  t.equal(receivers.capOf('d1', 200_000), Infinity, 'forgotten once back past it');
  receivers.observe('d2', { sentKbps: 2700, rtxKbps: 1200, estimateKbps: 1000 }, 0);
  receivers.keep(new Set(), 0, () => 4500);
  t.equal(receivers.capOf('d2', 0), Infinity, 'and when it left');
  t.end();
});

t.test('without an estimate, a fifth under what got through besides the resends', (t) => {
  const receivers = new CongestedReceivers();
  receivers.observe('d1', { sentKbps: 2500, rtxKbps: 1000, estimateKbps: 0 }, 0);
  t.equal(receivers.capOf('d1', 0), 1200);
  t.end();
});
