/** Roles an invitation token grants (DESIGN.md "Words"). */
export const ROLES = ['operator', 'host', 'delegate', 'observer'] as const;
export type Role = (typeof ROLES)[number];

export const POINT_KINDS = ['central', 'delegate'] as const;
export type PointKind = (typeof POINT_KINDS)[number];

/** Mute, remove, lock and spotlight: the chair's and the operator's tools. */
export function canControl(role: Role): boolean {
  return role === 'operator' || role === 'host';
}

/** Observers receive only. */
export function canProduce(role: Role): boolean {
  return role !== 'observer';
}

/** Session, point and other ids: short, URL- and file-name-safe. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
