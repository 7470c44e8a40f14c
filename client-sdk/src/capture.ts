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
