import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../protocol/signaling.js';
import type { RemoteTrackStats } from './types.js';

/** Each remote track's `inbound-rtp` figures from its receiver: received, lost, decoded. */
export async function remoteTrackStats(
  remotes: { consumer: types.Consumer; pointId: string; source: MediaSource }[],
): Promise<RemoteTrackStats[]> {
  const out: RemoteTrackStats[] = [];
  for (const remote of remotes) {
    if (remote.consumer.closed) {
      continue;
    }
    // A consumer may close while the others are asked (its point left, a rejoin).
    const report = await remote.consumer.getStats().catch(() => null);
    if (!report) {
      continue;
    }
    report.forEach((stat: Record<string, unknown>) => {
      if (stat['type'] !== 'inbound-rtp') {
        return;
      }
      out.push({
        pointId: remote.pointId,
        kind: remote.consumer.kind,
        source: remote.source,
        consumerId: remote.consumer.id,
        bytesReceived: Number(stat['bytesReceived'] ?? 0),
        packetsLost: Number(stat['packetsLost'] ?? 0),
        ...(remote.consumer.kind === 'video'
          ? {
              framesDecoded: Number(stat['framesDecoded'] ?? 0),
              frameWidth: Number(stat['frameWidth'] ?? 0),
            }
          : { totalSamplesReceived: Number(stat['totalSamplesReceived'] ?? 0) }),
      });
    });
  }
  return out;
}
