/**
 * Which of the account's lines each leg of a timeline is drawn on: a leg takes the lowest line free at its dial, as
 * a permit of the call budget would. Legs of one session never need more than the account's 8; legs without times
 * (from runs of an older release) get none, and are left out of the timeline.
 */
export interface TimedLeg {
  dialedAt?: string;
  endedAt?: string;
}

export function assignLines<T extends TimedLeg>(legs: readonly T[]): (T & { line?: number })[] {
  const busyUntil: string[] = [];
  const timed = legs
    .map((leg, index) => ({ leg, index }))
    .filter(({ leg }) => leg.dialedAt && leg.endedAt)
    .sort((a, b) => a.leg.dialedAt!.localeCompare(b.leg.dialedAt!) || a.index - b.index);
  const lines = new Map<number, number>();
  for (const { leg, index } of timed) {
    // ISO times of one clock compare as strings; a line is free again once its leg has ended.
    let line = busyUntil.findIndex((until) => until <= leg.dialedAt!);
    if (line < 0) line = busyUntil.length;
    busyUntil[line] = leg.endedAt!;
    lines.set(index, line + 1);
  }
  return legs.map((leg, index) => (lines.has(index) ? { ...leg, line: lines.get(index)! } : { ...leg }));
}
