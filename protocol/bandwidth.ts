/**
 * The bandwidth governor's account of one session, as the operator API gives it (the
 * `bandwidth` of `GET /api/v1/sessions/{id}/live`) and `/metrics` counts it: the budget
 * on the central point's link, what the plan sends across it, and who receives what.
 */

export interface BandwidthStatus {
  sampledAt: string;
  /** This session's share of the central point's link, kbit/s. */
  budgetKbps: number;
  /** What is left of it for video once headroom, sound, RTX and probing are kept. */
  videoBudgetKbps: number;
  /** What the applied plan sends across the link: video + sound + RTX and probing. */
  plannedKbps: number;
  /** What the link carried over the last second, as mediasoup counts what it sent. */
  sentKbps: number;
  videoKbps: number;
  audioKbps: number;
  overheadKbps: number;
  /**
   * Kept free besides the headroom: how far the link carried more than the plan lately
   * (bursts: keyframes of a switch, a slide change), fading in about 20 s.
   */
  marginKbps: number;
  /** The point on the stage for the governor (the loudest, once it held a moment). */
  stageSpeaker: string | null;
  /** Video consumers paused because even their lowest layer did not fit. */
  pausedVideo: number;
  /** Consumers stepped down at the last tick. */
  steppedDown: number;
  points: {
    pointId: string;
    /** Whether what it receives crosses the central point's link. */
    crossesLink: boolean;
    downlinkKbps: number;
    /** The video planned to it, kbit/s. */
    receivingKbps: number;
  }[];
  /**
   * Dynacast: each simulcast camera, its layers, and the highest it was told to send
   * (`layers - 1`: all). Layers above what anybody receives for a few seconds are
   * stopped at the sender.
   */
  publishers: { pointId: string; producerId: string; layers: number; maxSpatialLayer: number }[];
  consumers: {
    consumerId: string;
    receiverPointId: string;
    senderPointId: string;
    rank: 'stage' | 'central' | 'thumbnail';
    /** The ceiling applied; null: paused for want of room. */
    layers: { spatial: number; temporal: number } | null;
  }[];
}
