/** Where a VP8 RTP packet's payload descriptor is: past the header, its CSRCs and extension. */
function descriptorAt(rtp: Buffer): number {
  let at = 12 + ((rtp[0] ?? 0) & 0x0f) * 4;
  if ((rtp[0] ?? 0) & 0x10 && at + 4 <= rtp.length) {
    at += 4 + rtp.readUInt16BE(at + 2) * 4;
  }
  return at;
}

/** Whether a VP8 RTP packet begins a picture (RFC 7741: descriptor S bit, partition 0). */
export function startsVp8Picture(rtp: Buffer): boolean {
  const descriptor = rtp[descriptorAt(rtp)] ?? 0;
  return (descriptor & 0x10) !== 0 && (descriptor & 0x0f) === 0;
}

/** Whether a VP8 RTP packet begins a keyframe: a picture whose VP8 header has P = 0. */
export function startsVp8Keyframe(rtp: Buffer): boolean {
  if (!startsVp8Picture(rtp)) {
    return false;
  }
  let at = descriptorAt(rtp);
  const descriptor = rtp[at] ?? 0;
  at += 1;
  // The optional fields after the X bit: picture id (7 or 15 bits), TL0PICIDX, TID/KEYIDX.
  if (descriptor & 0x80) {
    const extension = rtp[at] ?? 0;
    at += 1;
    if (extension & 0x80) {
      at += (rtp[at] ?? 0) & 0x80 ? 2 : 1;
    }
    if (extension & 0x40) {
      at += 1;
    }
    if (extension & 0x30) {
      at += 1;
    }
  }
  return at < rtp.length && ((rtp[at] ?? 1) & 0x01) === 0;
}
