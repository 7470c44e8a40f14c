import type { types } from 'mediasoup';

/** The SFU's side of the recording links, on loopback. */
export const RECORDING_TRANSPORT_PORTS = { min: 50_000, max: 59_999 } as const;

/** Header extensions that turn on the SFU's bandwidth estimation for a transport. */
const BWE_EXTENSIONS = /transport-wide-cc|abs-send-time/;

/**
 * What the recording ffmpeg can take. Its SDP input reads one stream per m-line and
 * sends no RTCP feedback at all, so the consumer gets:
 * - no RTX: resent packets are never asked for;
 * - no bandwidth estimation (transport-cc, REMB): without it mediasoup does not probe the
 *   link with padding packets (SSRC 1234, payload type 127), which ffmpeg takes for its
 *   own stream, jumps its sequence to theirs, drops the real packets as "too late" and
 *   breaks the picture until the next keyframe; nor does it cap the layer it forwards
 *   by an estimate that no feedback would ever raise;
 * - no NACK: nothing would ask, so no resending buffer is kept.
 * Keyframe requests (PLI, FIR) stay: the server asks for keyframes on ffmpeg's behalf.
 */
export function recordingRtpCapabilities(
  routerCapabilities: types.RtpCapabilities,
): types.RtpCapabilities {
  return {
    codecs: (routerCapabilities.codecs ?? [])
      .filter((c) => !c.mimeType.toLowerCase().endsWith('/rtx'))
      .map((c) => ({
        ...c,
        rtcpFeedback: (c.rtcpFeedback ?? []).filter(
          (fb) => fb.type === 'ccm' || (fb.type === 'nack' && fb.parameter === 'pli'),
        ),
      })),
    headerExtensions: (routerCapabilities.headerExtensions ?? []).filter(
      (e) => !BWE_EXTENSIONS.test(e.uri),
    ),
  };
}

/**
 * A paused consumer of a producer, on its own PlainTransport, sending RTP to `port` and
 * RTCP to `rtcpPort` on 127.0.0.1: the recorder's ffmpeg. Sender reports on RTCP let
 * ffmpeg align audio with video.
 */
export async function createRecordingConsumer(
  router: types.Router,
  producerId: string,
  port: number,
  rtcpPort: number,
): Promise<types.Consumer> {
  const transport = await router.createPlainTransport({
    // Apart from the ports ffmpegs listen on (FFMPEG_PORTS), so neither takes the other's.
    listenInfo: { protocol: 'udp', ip: '127.0.0.1', portRange: RECORDING_TRANSPORT_PORTS },
    rtcpMux: false,
    comedia: false,
  });
  try {
    await transport.connect({ ip: '127.0.0.1', port, rtcpPort });
    const consumer = await transport.consume({
      producerId,
      rtpCapabilities: recordingRtpCapabilities(router.rtpCapabilities),
      paused: true,
    });
    consumer.observer.once('close', () => transport.close());
    return consumer;
  } catch (err) {
    transport.close();
    throw err;
  }
}
