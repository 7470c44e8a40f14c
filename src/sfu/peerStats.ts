import type { PeerStats } from '../../protocol/signaling.js';
import type { Peer } from './Peer.js';
import { pointOf, sourceOf } from './mediaLookups.js';

/** A point's transports (mediasoup's own figures), producers and consumers with their scores. */
export async function peerStats(peer: Peer): Promise<PeerStats> {
  const transports = await Promise.all(
    [...peer.transports.values()].map(async (t) => ({
      id: t.id,
      direction: (t.appData as { direction: 'send' | 'recv' }).direction,
      stats: await t.getStats(),
    })),
  );
  const producers = [...peer.producers.values()].map((p) => ({
    id: p.id,
    kind: p.kind,
    source: sourceOf(p),
    paused: p.paused,
    score: p.score,
  }));
  const consumers = [...peer.consumers.values()].map((c) => ({
    id: c.id,
    producerId: c.producerId,
    pointId: pointOf(c),
    kind: c.kind,
    paused: c.paused,
    producerPaused: c.producerPaused,
    score: c.score,
    currentLayers: c.currentLayers ?? null,
  }));
  return { transports, producers, consumers };
}
