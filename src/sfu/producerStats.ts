/**
 * One reading of a producer's stats serves every reader that can take it that old: the
 * governor reads each camera's layer costs every second, and the live view and the
 * recorded-layer watch would each have read the same producers again. Every request is a round trip through the worker, and for an 11-point session
 * the stats requests were most of what diemcau's Node and workers spent beyond bare
 * mediasoup.
 */
import type { types } from 'mediasoup';

interface Reading {
  at: number;
  stats: Promise<types.ProducerStat[] | null>;
}

const readings = new WeakMap<types.Producer, Reading>();

/**
 * The producer's stats, read no longer than `maxAgeMs` before now (a reading still on
 * its way counts from when it was asked); null when the worker could not answer
 * (the producer closed meanwhile).
 */
export function producerStats(
  producer: types.Producer,
  maxAgeMs: number,
  now = Date.now(),
): Promise<types.ProducerStat[] | null> {
  const last = readings.get(producer);
  if (last && now - last.at <= maxAgeMs) {
    return last.stats;
  }
  const stats = producer.getStats().catch((): null => null);
  readings.set(producer, { at: now, stats });
  return stats;
}
