/** Times in a report's time zone (an IANA name such as `Asia/Singapore`), by the runtime's own time zone data. */
import { showValue } from '../domain/input-text';

export const TIME_ZONE_RULE = 'must be an IANA time zone such as UTC or Asia/Singapore';

/** Why `zone` is no time zone, as `--timezone = "…": rule`; undefined when it is one. */
export function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return undefined;
  } catch {
    return `--timezone ${showValue(zone)}: ${TIME_ZONE_RULE}`;
  }
}

/** `2026-01-05 09:00` in `zone`. */
export function localTime(date: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(date);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}
