/**
 * Typed builders for the ffmpeg command lines the recorder runs (fluent-ffmpeg is
 * archived upstream; these are plain argument arrays for `spawn`).
 */

export interface SegmentedRecordingOptions {
  sdpFile: string;
  /** printf pattern for segment files, e.g. `/archive/s/media/hanoi-cam-%05d.mkv`. */
  outputPattern: string;
  segmentSeconds: number;
  /** ffmpeg appends `file,start,end` here when a segment is closed. */
  segmentListFile: string;
  /** Receive buffer asked for on each RTP socket (the kernel caps it at rmem_max). */
  receiveBufferBytes: number;
  /**
   * Where ffmpeg sends its progress (a block of `key=value` lines, `frame=` among them)
   * every `periodSeconds`: a `udp://127.0.0.1:<port>` URL. Over UDP, a reader that
   * stalls or dies never blocks ffmpeg or ends it, as a full or broken pipe would.
   */
  progress?: { url: string; periodSeconds: number };
}

/**
 * Receive RTP described by an SDP and write it, without transcoding, into Matroska
 * segments. Matroska stays readable up to the last written cluster after a crash (an
 * MP4 without its `moov` would not), and a closed segment is final: it can be hashed.
 */
export function segmentedRecordingArgs(o: SegmentedRecordingOptions): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'warning',
    '-nostdin',
    ...(o.progress
      ? ['-nostats', '-progress', o.progress.url, '-stats_period', String(o.progress.periodSeconds)]
      : []),
    '-protocol_whitelist',
    'file,udp,rtp',
    // Its ports take media from the SFU on this machine only: bound to every interface,
    // anyone on the network could write into the legal record.
    '-localaddr',
    '127.0.0.1',
    // Late or reordered packets are waited for a little before being given up.
    '-reorder_queue_size',
    '500',
    // A hole in the sequence is waited for up to 0.5 s (the default is 0.1 s): a packet
    // the point had to resend to the SFU arrives late, and one given up on breaks the
    // picture until the next keyframe.
    '-max_delay',
    '500000',
    // ffmpeg reads its RTP sockets from the same thread that writes the file: a socket
    // buffer that holds a few seconds of media rides out a moment without CPU.
    '-buffer_size',
    String(o.receiveBufferBytes),
    // A point muted with its camera off sends nothing, not even sender reports, for as
    // long as it likes: ffmpeg must wait for it, not give up after 10 s.
    '-listen_timeout',
    '-1',
    '-fflags',
    '+genpts',
    '-i',
    o.sdpFile,
    '-map',
    '0',
    '-c',
    'copy',
    '-f',
    'segment',
    '-segment_time',
    String(o.segmentSeconds),
    '-segment_format',
    'matroska',
    // Clusters of at most 1 s, each written through at once: a crash of ffmpeg leaves
    // the segment readable up to about a second before it.
    '-segment_format_options',
    'cluster_time_limit=1000:flush_packets=1',
    '-reset_timestamps',
    '0',
    '-segment_list',
    o.segmentListFile,
    '-segment_list_type',
    'csv',
    o.outputPattern,
  ];
}

export interface RtpOutput {
  payloadType: number;
  ssrc: number;
  /** Where RTP goes; RTCP goes to `rtcpPort`, both on 127.0.0.1. */
  port: number;
  rtcpPort: number;
}

/**
 * Send a pre-encoded file's audio and video, looped in real time and without
 * transcoding, as RTP into mediasoup PlainTransports (synthetic points: benchmarks,
 * recorder tests).
 */
export function rtpSenderArgs(o: { input: string; audio: RtpOutput; video: RtpOutput }): string[] {
  const output = (map: string, out: RtpOutput): string[] => [
    '-map',
    map,
    '-c',
    'copy',
    '-payload_type',
    String(out.payloadType),
    '-ssrc',
    String(out.ssrc),
    '-f',
    'rtp',
    `rtp://127.0.0.1:${out.port}?rtcpport=${out.rtcpPort}&pkt_size=1200`,
  ];
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-stream_loop',
    '-1',
    '-i',
    o.input,
    ...output('0:a', o.audio),
    ...output('0:v', o.video),
  ];
}
