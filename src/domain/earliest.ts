/** The earliest of some moments (epoch ms), any of which may be unset; undefined when none is set. */
export function earliest(...times: (number | undefined)[]): number | undefined {
  const defined = times.filter((time): time is number => time !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
}
