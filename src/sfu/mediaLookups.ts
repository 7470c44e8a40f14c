/** A point's own transports, producers and consumers by id: a wrong id is a coded error. */
import type { types } from 'mediasoup';
import { errors } from '../../common/errors.js';
import type { MediaSource, Peer } from './Peer.js';

export function webRtcTransportOf(peer: Peer, transportId: string): types.WebRtcTransport {
  const transport = transportOf(peer, transportId);
  if (transport.type !== 'webrtc') {
    throw new errors.INVALID_PARAMS(`data.transportId: ${transportId} is not a WebRTC transport`);
  }
  return transport;
}

export function transportOf(
  peer: Peer,
  transportId: string,
  direction?: 'send' | 'recv',
): types.WebRtcTransport | types.PlainTransport {
  const transport = peer.transports.get(transportId);
  if (!transport) {
    throw new errors.TRANSPORT_NOT_FOUND(transportId);
  }
  if (direction && (transport.appData as { direction: string }).direction !== direction) {
    throw new errors.INVALID_PARAMS(
      `data.transportId: ${transportId} is not a ${direction} transport`,
    );
  }
  return transport;
}

export function ownProducerOf(peer: Peer, producerId: string): types.Producer {
  const producer = peer.producers.get(producerId);
  if (!producer) {
    throw new errors.PRODUCER_NOT_FOUND(producerId);
  }
  return producer;
}

export function consumerOf(peer: Peer, consumerId: string): types.Consumer {
  const consumer = peer.consumers.get(consumerId);
  if (!consumer) {
    throw new errors.CONSUMER_NOT_FOUND(consumerId);
  }
  return consumer;
}

/** The point whose media a producer sends, or a consumer carries. */
export function pointOf(media: types.Producer | types.Consumer): string {
  return (media.appData as { pointId: string }).pointId;
}

/** Whether a transport is its point's receiving one: what the server sends the point. */
export function isRecvTransport(transport: types.Transport): boolean {
  return (transport.appData as { direction?: string }).direction === 'recv';
}

const encodingsOfProducer = new WeakMap<types.Producer, readonly types.RtpEncodingParameters[]>();

/**
 * A producer's encodings, its spatial layers in order. They never change, and mediasoup
 * copies the whole `rtpParameters` at every read: the governor and the recorded-layer
 * fallback look at every camera's several times a second.
 */
export function encodingsOf(producer: types.Producer): readonly types.RtpEncodingParameters[] {
  let encodings = encodingsOfProducer.get(producer);
  if (!encodings) {
    encodings = producer.rtpParameters.encodings ?? [];
    encodingsOfProducer.set(producer, encodings);
  }
  return encodings;
}

/** Which of its point's sources a producer sends. */
export function sourceOf(producer: types.Producer): MediaSource {
  return (producer.appData as { source: MediaSource }).source;
}

/**
 * Which of a producer's encodings (its spatial layer) one of its stream stats is: by RID
 * where the stream has one (a browser's simulcast), else by SSRC; -1 when none.
 */
export function spatialLayerOf(
  encodings: readonly types.RtpEncodingParameters[],
  stat: { rid?: string; ssrc: number },
): number {
  return encodings.findIndex((e) =>
    stat.rid !== undefined ? e.rid === stat.rid : e.ssrc === stat.ssrc,
  );
}
