/**
 * The chair's controls on a point's tile (operator and host only): mute or unmute its
 * microphone, put it in the spotlight, and remove it (asked first: it cannot rejoin).
 */
import type { DiemcauSession, PointInfo } from '/sdk/diemcau-client.js';
import type { Translator } from './i18n.js';

export function isChair(session: DiemcauSession | null): boolean {
  const role = session?.me?.role;
  return role === 'operator' || role === 'host';
}

export function chairButtons(
  session: DiemcauSession,
  point: PointInfo,
  t: Translator,
  onError: (err: unknown) => void,
): HTMLButtonElement[] {
  return [
    button(
      t,
      point.name,
      point.mutedByOperator ? t.get('tile.unmute') : t.get('tile.mute'),
      'op-mute',
      () => (point.mutedByOperator ? session.unmutePoint(point.id) : session.mutePoint(point.id)),
      onError,
    ),
    button(
      t,
      point.name,
      session.spotlight === point.id ? t.get('tile.unspotlight') : t.get('tile.spotlight'),
      'op-spotlight',
      () => session.setSpotlight(session.spotlight === point.id ? null : point.id),
      onError,
    ),
    button(
      t,
      point.name,
      t.get('tile.remove'),
      'op-remove',
      async () => {
        // Removed for good: asked first.
        if (confirm(t.get('confirm.remove').replace('{name}', point.name))) {
          await session.removePoint(point.id);
        }
      },
      onError,
    ),
  ];
}

function button(
  t: Translator,
  pointName: string,
  text: string,
  testId: string,
  action: () => Promise<void>,
  onError: (err: unknown) => void,
): HTMLButtonElement {
  const el = document.createElement('button');
  el.type = 'button';
  el.textContent = text;
  el.title = t.get('tile.actionOn').replace('{action}', text).replace('{name}', pointName);
  el.setAttribute('aria-label', el.title);
  el.dataset['testid'] = testId;
  el.addEventListener('click', () => void action().catch(onError));
  return el;
}
