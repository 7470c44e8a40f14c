/**
 * Compile-time checks that the server and the protocol say the same thing where the
 * shared core cannot import the protocol (common/ imports nothing of ours): the error
 * catalogue holds exactly the protocol's codes. `npm run typecheck` fails otherwise.
 */
import type { CataloguedCode } from '../common/errors.js';
import type { ErrorCode } from '../protocol/errors.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Each catalogued code is a protocol code, and each protocol code is catalogued. */
export const errorCodesMatch: Same<CataloguedCode, ErrorCode> = true;
