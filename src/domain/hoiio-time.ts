/**
 * Hoiio writes every date as "YYYY-MM-DD HH:MM:SS" in GMT+8, whatever the account's own time zone.
 * Pure functions of epoch milliseconds, so workflow code can use them too.
 */
const GMT_PLUS_8_MS = 8 * 60 * 60 * 1000;
const HOIIO_DATE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export function formatHoiioDate(epochMs: number): string {
  const shifted = new Date(epochMs + GMT_PLUS_8_MS).toISOString(); // 2010-01-01T10:10:00.000Z
  return `${shifted.slice(0, 10)} ${shifted.slice(11, 19)}`;
}

/** Returns epoch milliseconds, or undefined when the text is not a valid Hoiio date. */
export function parseHoiioDate(text: string): number | undefined {
  const match = HOIIO_DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 2024-02-31 over into March; a real date must survive the round trip.
  if (formatHoiioDate(utc - GMT_PLUS_8_MS) !== text) return undefined;
  return utc - GMT_PLUS_8_MS;
}
