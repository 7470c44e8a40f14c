/**
 * Whether an archive holds every point for as long as it was recorded: the timeline (the
 * audit log's events) says when each recording run started and ended, the manifest which
 * media each run left. What the timeline itself says went wrong (a crash, the low-disk
 * alarm) and what a run failed to leave (an ffmpeg that died at its start, a segment that
 * came out empty) are gaps; a chair switching the recording off is a pause, not a gap.
 */
import type { ManifestFile } from './manifest.js';

export interface TimelineEvent {
  at: string;
  type: string;
  pointId?: string;
  by?: string;
  detail?: Record<string, unknown>;
}

export interface Gap {
  pointId: string | null;
  /** ISO 8601. */
  from: string;
  seconds: number;
  reason: string;
}

export interface Pause {
  by: string;
  from: string;
  to: string | null;
}

export interface Completeness {
  gaps: Gap[];
  pauses: Pause[];
}

/**
 * Slack between a run's start and end as the timeline has them and its media: ffmpeg's
 * first packet comes a moment after the run is announced, its stop a moment after the
 * point's last packet.
 */
export const COVERAGE_SLACK_SECONDS = 2;

interface Run {
  name: string;
  pointId: string;
  kind: string;
  /** What it records (`mic`, `camera`, `screen`); empty when the timeline does not say. */
  sources: string[];
  start: number;
  /** Its stop, its interruption, or the point's leave, whichever came first. */
  end: number | null;
  /** When every source it records was paused: the point sent nothing to record. */
  silent: [number, number | null][];
}

/** What a point holds paused: by itself, and its microphone by the chair. */
interface PointState {
  paused: Set<string>;
  mutedByChair: boolean;
}

const ms = (iso: string): number => Date.parse(iso);
/** A timeline field that should be text (it is untrusted JSON). */
export const textOf = (value: unknown, fallback: string): string =>
  typeof value === 'string' ? value : fallback;
const iso = (t: number): string => new Date(t).toISOString();
const seconds = (a: number, b: number): number => Math.round((b - a) / 100) / 10;

export function archiveCompleteness(
  events: readonly TimelineEvent[],
  files: readonly ManifestFile[],
  /** Where an unfinished run is taken to end: the archive's last word. */
  lastSeen: string,
): Completeness {
  const gaps: Gap[] = [];
  const pauses: Pause[] = [];
  const runs = new Map<string, Run>();
  let alarmSince: number | null = null;
  let pausedBy: { by: string; from: number } | null = null;
  const interrupted = new Map<string, { at: number; reason: string }>();
  const points = new Map<string, PointState>();
  const stateOf = (pointId: string): PointState => {
    let state = points.get(pointId);
    if (!state) {
      state = { paused: new Set(), mutedByChair: false };
      points.set(pointId, state);
    }
    return state;
  };
  const isSilent = (run: Run): boolean => {
    const state = stateOf(run.pointId);
    return (
      run.sources.length > 0 &&
      run.sources.every((s) => state.paused.has(s) || (s === 'mic' && state.mutedByChair))
    );
  };
  /** After a point's state changed: opens or closes its runs' silent spans. */
  const followSilence = (pointId: string, at: number): void => {
    for (const run of runs.values()) {
      if (run.pointId !== pointId || run.end !== null) {
        continue;
      }
      const open = run.silent.at(-1)?.[1] === null;
      if (isSilent(run) && !open) {
        run.silent.push([at, null]);
      } else if (!isSilent(run) && open) {
        (run.silent.at(-1) as [number, number | null])[1] = at;
      }
    }
  };

  const endRun = (run: Run, at: number): void => {
    run.end ??= at;
    const last = run.silent.at(-1);
    if (last && last[1] === null) {
      last[1] = at;
    }
  };
  for (const e of events) {
    const at = ms(e.at);
    const name = typeof e.detail?.['name'] === 'string' ? e.detail['name'] : null;
    const kind = typeof e.detail?.['kind'] === 'string' ? e.detail['kind'] : 'av';
    switch (e.type) {
      case 'recording-started':
        if (name !== null && e.pointId !== undefined) {
          const list = (key: string): string[] =>
            Array.isArray(e.detail?.[key]) ? (e.detail[key] as unknown[]).map(String) : [];
          const state = stateOf(e.pointId);
          // What the point held paused as this run began (the timeline of earlier
          // sittings may not say).
          for (const source of list('sources')) {
            if (list('paused').includes(source)) {
              state.paused.add(source);
            } else if (source !== 'mic' || !state.mutedByChair) {
              state.paused.delete(source);
            }
          }
          runs.set(name, {
            name,
            pointId: e.pointId,
            kind,
            sources: list('sources'),
            start: at,
            end: null,
            silent: [],
          });
          followSilence(e.pointId, at);
        }
        break;
      case 'source-paused':
      case 'source-resumed':
        if (e.pointId !== undefined) {
          const source = textOf(e.detail?.['source'], '');
          if (e.type === 'source-paused') {
            stateOf(e.pointId).paused.add(source);
          } else {
            stateOf(e.pointId).paused.delete(source);
          }
          followSilence(e.pointId, at);
        }
        break;
      case 'point-muted':
      case 'point-unmuted':
        if (e.pointId !== undefined) {
          stateOf(e.pointId).mutedByChair = e.type === 'point-muted';
          followSilence(e.pointId, at);
        }
        break;
      case 'recording-stopped': {
        const run = name === null ? undefined : runs.get(name);
        if (run) {
          endRun(run, at);
        }
        break;
      }
      case 'recording-interrupted': {
        const run = name === null ? undefined : runs.get(name);
        if (run) {
          endRun(run, at);
        }
        if (e.pointId !== undefined) {
          interrupted.set(`${e.pointId}/${kind}`, {
            at,
            reason: textOf(e.detail?.['reason'], 'recording interrupted'),
          });
        }
        break;
      }
      case 'recording-resumed': {
        const key = `${e.pointId ?? ''}/${kind}`;
        const since = interrupted.get(key);
        interrupted.delete(key);
        const gapMs = Number(e.detail?.['gapMs']);
        gaps.push({
          pointId: e.pointId ?? null,
          from: iso(since?.at ?? at - gapMs),
          seconds: Math.round((Number.isFinite(gapMs) ? gapMs : at - (since?.at ?? at)) / 100) / 10,
          reason: textOf(e.detail?.['after'], since?.reason ?? 'recording interrupted'),
        });
        break;
      }
      case 'point-left':
      case 'point-removed':
        for (const run of runs.values()) {
          if (run.pointId === e.pointId && run.end === null) {
            endRun(run, at);
          }
        }
        for (const [key, since] of interrupted) {
          if (key.startsWith(`${e.pointId ?? ''}/`)) {
            // Down until the point left: never resumed.
            interrupted.delete(key);
            gaps.push({
              pointId: e.pointId ?? null,
              from: iso(since.at),
              seconds: seconds(since.at, at),
              reason: since.reason,
            });
          }
        }
        break;
      case 'recording-alarm':
        alarmSince ??= at;
        break;
      case 'recording-disabled':
        if (e.by === 'recorder') {
          alarmSince ??= at;
        } else {
          pausedBy = { by: e.by ?? 'unknown', from: at };
        }
        break;
      case 'recording-enabled':
        if (alarmSince !== null && e.by === 'recorder') {
          gaps.push({
            pointId: null,
            from: iso(alarmSince),
            seconds: seconds(alarmSince, at),
            reason: 'the archive disk was almost full: recording stopped by the low-disk alarm',
          });
          alarmSince = null;
        }
        if (pausedBy) {
          pauses.push({ by: pausedBy.by, from: iso(pausedBy.from), to: e.at });
          pausedBy = null;
        }
        break;
      default:
        break;
    }
  }
  const last = ms(lastSeen);
  if (alarmSince !== null) {
    gaps.push({
      pointId: null,
      from: iso(alarmSince),
      seconds: seconds(alarmSince, last),
      reason: 'the archive disk was almost full: recording stopped by the low-disk alarm',
    });
  }
  if (pausedBy) {
    pauses.push({ by: pausedBy.by, from: iso(pausedBy.from), to: null });
  }
  for (const [key, since] of interrupted) {
    gaps.push({
      pointId: key.split('/')[0] ?? null,
      from: iso(since.at),
      seconds: seconds(since.at, last),
      reason: `${since.reason}; not resumed`,
    });
  }

  // Each run against the media it left, but for the time its point sent nothing.
  for (const run of runs.values()) {
    const own = files
      .filter((f) => f.run === run.name && f.kind !== 'composite')
      .map((f) => [ms(f.start), ms(f.end)] as [number, number]);
    // A run still recording has its latest segment still open, not in the manifest yet:
    // it is measured up to what it has closed so far.
    const end = run.end ?? Math.max(run.start, ...own.map(([, b]) => b));
    const expected = subtract(
      [[run.start, end]],
      run.silent.map(([a, b]) => [a, b ?? end] as [number, number]),
    );
    const missing = measure(subtract(expected, own)) / 1000;
    const wanted = measure(expected) / 1000;
    if (missing > COVERAGE_SLACK_SECONDS) {
      gaps.push({
        pointId: run.pointId,
        from: iso(run.start),
        seconds: Math.round(missing * 10) / 10,
        reason:
          own.length === 0
            ? `its recording run ${run.name} left no media`
            : `its recording run ${run.name} left ${Math.round((wanted - missing) * 10) / 10} s of ${Math.round(wanted * 10) / 10} s`,
      });
    }
  }
  gaps.sort((a, b) => ms(a.from) - ms(b.from));
  return { gaps, pauses };
}

/** `from` less every interval of `cut` (intervals as [start, end] in ms). */
function subtract(from: [number, number][], cut: [number, number][]): [number, number][] {
  let out = from;
  for (const [c0, c1] of cut) {
    out = out.flatMap(([a, b]): [number, number][] => {
      if (c1 <= a || c0 >= b) {
        return [[a, b]];
      }
      const parts: [number, number][] = [];
      if (c0 > a) {
        parts.push([a, c0]);
      }
      if (c1 < b) {
        parts.push([c1, b]);
      }
      return parts;
    });
  }
  return out;
}

function measure(intervals: [number, number][]): number {
  return intervals.reduce((sum, [a, b]) => sum + Math.max(0, b - a), 0);
}

export function describeGap(gap: Gap): string {
  const who = gap.pointId === null ? 'every point' : gap.pointId;
  return `${who}: ${gap.seconds} s not recorded from ${gap.from} (${gap.reason})`;
}

/**
 * Each recording run's wall-clock span as the timeline has it (start to its stop, its
 * interruption or its point's leave): what its media's own clock must agree with.
 */
export function runSpans(
  events: readonly TimelineEvent[],
): Map<string, { start: number; end: number | null }> {
  const spans = new Map<string, { start: number; end: number | null; pointId: string }>();
  for (const e of events) {
    const at = ms(e.at);
    const name = textOf(e.detail?.['name'], '');
    if (e.type === 'recording-started' && name !== '' && e.pointId !== undefined) {
      spans.set(name, { start: at, end: null, pointId: e.pointId });
    } else if (e.type === 'recording-stopped' || e.type === 'recording-interrupted') {
      const span = spans.get(name);
      if (span && span.end === null) {
        span.end = at;
      }
    } else if (e.type === 'point-left' || e.type === 'point-removed') {
      for (const span of spans.values()) {
        if (span.pointId === e.pointId && span.end === null) {
          span.end = at;
        }
      }
    }
  }
  return spans;
}
