import type { types } from 'mediasoup';
import type { SdpTrack } from '../protocol/recorder.js';

export type { SdpTrack } from '../protocol/recorder.js';

/**
 * The SDP ffmpeg reads to receive a point's audio and video from mediasoup
 * PlainTransports on 127.0.0.1, one m-line per track.
 */
export function buildRecordingSdp(tracks: SdpTrack[]): string {
  const lines = [
    'v=0',
    'o=- 0 0 IN IP4 127.0.0.1',
    's=diemcau recording',
    'c=IN IP4 127.0.0.1',
    't=0 0',
  ];
  for (const track of tracks) {
    lines.push(`m=${track.kind} ${track.port} RTP/AVP ${track.payloadType}`);
    lines.push(`a=rtcp:${track.rtcpPort}`);
    const channels = track.kind === 'audio' && track.channels ? `/${track.channels}` : '';
    lines.push(`a=rtpmap:${track.payloadType} ${track.codec}/${track.clockRate}${channels}`);
    const fmtp = Object.entries(track.fmtp ?? {});
    if (fmtp.length > 0) {
      lines.push(`a=fmtp:${track.payloadType} ${fmtp.map(([k, v]) => `${k}=${v}`).join(';')}`);
    }
    lines.push('a=recvonly');
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The SDP track for a mediasoup consumer sending to `port`/`rtcpPort`. */
export function sdpTrackOf(consumer: types.Consumer, port: number, rtcpPort: number): SdpTrack {
  const codec = consumer.rtpParameters.codecs[0] as types.RtpCodecParameters;
  return {
    kind: consumer.kind,
    port,
    rtcpPort,
    payloadType: codec.payloadType,
    codec: codec.mimeType.split('/')[1] as string,
    clockRate: codec.clockRate,
    ...(codec.channels !== undefined ? { channels: codec.channels } : {}),
    ...(codec.parameters && Object.keys(codec.parameters).length > 0
      ? { fmtp: codec.parameters as Record<string, string | number> }
      : {}),
  };
}
