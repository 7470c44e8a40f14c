import type { Role } from '../../protocol/signaling.js';

/** Roles and point kinds are the protocol's (docs/contract.md, "Words"). */
export { POINT_KINDS, ROLES, type PointKind, type Role } from '../../protocol/signaling.js';

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
