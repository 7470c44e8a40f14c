/**
 * The central point's link shared among the sessions with a point across it: a session
 * with a share of its own (`linkMbps` in its plan) never gets more than that, and what
 * the capped sessions leave is shared evenly by the others (max-min fair: the smallest
 * caps are met first). The shares never add up to more than the link.
 */
export function shareLink(
  linkKbps: number,
  /** Per session: its own cap, kbit/s, or null for an even share. */
  caps: ReadonlyMap<string, number | null>,
): Map<string, number> {
  const shares = new Map<string, number>();
  const pending = [...caps].sort(([, a], [, b]) => (a ?? Infinity) - (b ?? Infinity));
  let left = linkKbps;
  for (const [i, [id, cap]] of pending.entries()) {
    const even = left / (pending.length - i);
    const share = Math.min(cap ?? Infinity, even);
    shares.set(id, share);
    left -= share;
  }
  return shares;
}
