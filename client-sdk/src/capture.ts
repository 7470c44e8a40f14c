import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../protocol/signaling.js';

/**
 * Simulcast for the camera: the SFU forwards the small layer to grid tiles and the large
 * one to the speaker's tile, so 10 points fit a 30 Mbit/s central link.
 */
export const CAMERA_ENCODINGS: types.RtpEncodingParameters[] = [
  { scaleResolutionDownBy: 4, maxBitrate: 120_000 },
  { scaleResolutionDownBy: 2, maxBitrate: 350_000 },
  { scaleResolutionDownBy: 1, maxBitrate: 900_000 },
];
export const SCREEN_ENCODINGS: types.RtpEncodingParameters[] = [{ maxBitrate: 1_200_000 }];

/**
 * A camera layer nobody receives (dynacast) is sent as a trickle, not stopped: mediasoup
 * lets a browser's consumer take a layer only once it has flowed for two seconds, so a
 * layer stopped and started again for a new speaker kept the stage's picture small that
 * long. At a sixth of its bitrate it keeps flowing, and it is back in full as soon as
 * the browser's rate control is told. (Fewer frames a second would save the PC's
 * encoder too, but Chromium's VP8 keeps a layer's lowered frame rate when it is raised
 * again.)
 */
const TRICKLE_SHARE = 1 / 6;

/** A camera layer's full bitrate, bit/s (undefined: no such layer). */
const fullBitrate = (layer: number): number | undefined => CAMERA_ENCODINGS[layer]?.maxBitrate;

/**
 * A camera sender's encodings when it sends its layers up to `maxSpatialLayer` in full
 * and those above as a trickle; null when `current` already does.
 */
export function cameraEncodingsUpTo(
  current: readonly RTCRtpEncodingParameters[],
  maxSpatialLayer: number,
): RTCRtpEncodingParameters[] | null {
  let changed = false;
  const next = current.map((encoding, i) => {
    const full = fullBitrate(i);
    if (full === undefined) {
      return encoding;
    }
    const maxBitrate = i > maxSpatialLayer ? Math.round(full * TRICKLE_SHARE) : full;
    if (encoding.active !== false && encoding.maxBitrate === maxBitrate) {
      return encoding;
    }
    changed = true;
    return { ...encoding, active: true, maxBitrate };
  });
  return changed ? next : null;
}

/** Whether a camera encoding is sent in full (not stopped, not a trickle). */
export function sentInFull(encoding: RTCRtpEncodingParameters, layer: number): boolean {
  const full = fullBitrate(layer);
  return encoding.active !== false && (full === undefined || encoding.maxBitrate === full);
}

/** Asks the browser for a source's default device. */
export async function captureTrack(source: MediaSource): Promise<MediaStreamTrack> {
  if (source === 'screen') {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 } });
    return stream.getVideoTracks()[0] as MediaStreamTrack;
  }
  if (source === 'mic') {
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    return stream.getAudioTracks()[0] as MediaStreamTrack;
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25, max: 30 } },
  });
  return stream.getVideoTracks()[0] as MediaStreamTrack;
}
