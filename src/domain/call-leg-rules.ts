/**
 * The call-leg engine's decisions that need no SDK: which permits to ask for or give back, which leg takes which
 * permit, and what a dial's reply proves about the numbers it did not place (docs/design.md, invariant 2).
 */

/** What to do so that `wanted` permits are on hand: ask for more, withdraw what is asked for, give spare ones back. */
export interface PermitMoves {
  request: number;
  cancelPending: boolean;
  giveBack: number;
}

export function permitMoves(wanted: number, held: { available: number; pending: number }): PermitMoves {
  const promised = held.available + held.pending;
  return {
    request: wanted > promised ? wanted - promised : 0,
    cancelPending: wanted <= promised && wanted === 0 && held.pending > 0,
    giveBack: Math.max(0, held.available - wanted),
  };
}

/** Permits taken and no longer needed: neither covering an active leg nor held by the dial in flight. */
export function releasablePermits(
  taken: Iterable<string>,
  dialing: ReadonlySet<string>,
  covering: Iterable<string>,
): string[] {
  const needed = new Set(covering);
  return [...taken].filter((id) => !dialing.has(id) && !needed.has(id));
}

/** Each placed leg takes the next of the dial's permits, in order; permits left over are simply not bound. */
export function pairWithPermits<Leg>(legs: readonly Leg[], permits: readonly string[]): [Leg, string | undefined][] {
  return legs.map((leg, index) => [leg, permits[index]]);
}

/**
 * The numbers of a batch its reply did not show. When nothing of the batch was placed the request never was, and
 * they may be dialed again; when part of it was, the rest may only be missing from the history for now, so their
 * outcome is unknown and they are never dialed again unseen.
 */
export function sortUnplaced(found: { legs: readonly unknown[]; notPlaced: readonly string[] }): {
  notPlaced: string[];
  unknown: string[];
} {
  if (found.notPlaced.length === 0) return { notPlaced: [], unknown: [] };
  return found.legs.length === 0
    ? { notPlaced: [...found.notPlaced], unknown: [] }
    : { notPlaced: [], unknown: [...found.notPlaced] };
}

/** A batch's tag: unique per batch and constant across retries, so a retry can find what an earlier attempt placed. */
export function batchTag(prefix: string | undefined, key: string, batch: number): string {
  return `${prefix ? `${prefix}:` : ''}bk-${key}-${batch}`;
}
