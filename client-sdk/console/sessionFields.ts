/**
 * The fields a session is planned and edited with (title, chair, start, end, its share
 * of the link), put at the
 * head of both forms from one definition; their words come from the table (data-i18n).
 */
import { el } from './dom.js';

const FIELDS: { name: string; i18n: string; attrs: Record<string, string> }[] = [
  { name: 'title', i18n: 'f.title', attrs: { required: '', maxlength: '300' } },
  { name: 'chair', i18n: 'f.chair', attrs: { maxlength: '200' } },
  { name: 'startsAt', i18n: 'f.startsAt', attrs: { type: 'datetime-local', required: '' } },
  { name: 'endsAt', i18n: 'f.endsAt', attrs: { type: 'datetime-local', required: '' } },
  {
    name: 'linkMbps',
    i18n: 'f.linkMbps',
    attrs: { type: 'number', min: '1', max: '100000', step: '1' },
  },
];

/** The link share as typed: a whole number of Mbit/s, or null (empty: an even share). */
export function linkMbpsOf(typed: string | undefined): number | null {
  return typed ? Number(typed) : null;
}

export function addSessionFields(form: HTMLFormElement): void {
  form.prepend(
    ...FIELDS.map((f) =>
      el(
        'label',
        {},
        el('span', { 'data-i18n': f.i18n }),
        el('input', { name: f.name, ...f.attrs }),
      ),
    ),
  );
}
