/**
 * Scenario C, the baseline: what a plain script does without Temporal and without a call budget. It sends a session's
 * numbers to conference/call in batches of 8, all at once, and when Hoiio answers error_concurrent_call_limit_reached
 * it waits a second and sends the same batch again. No notifications: it learns that the legs ended by watching the
 * simulator's ledger, which flatters it (a real script would have to poll or listen).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createHoiioClient, HoiioApiError, type HoiioAccountConfig } from '../../src/hoiio';

export const NAIVE_RETRY_MS = 1_000;
const BATCH = 8;
/** A batch that is still refused after this many tries fails the benchmark instead of spinning forever. */
const MAX_TRIES_PER_BATCH = 120;

export interface NaiveResult {
  room: string;
  requests: number;
  rejected: number;
  /** When the script started, epoch milliseconds. */
  startedAtMs: number;
  /** When the last batch was accepted, epoch milliseconds. */
  lastAcceptedAtMs: number;
}

export async function runNaiveScript(account: HoiioAccountConfig, numbers: readonly string[]): Promise<NaiveResult> {
  const client = createHoiioClient({
    baseUrl: account.baseUrl,
    appId: account.appId,
    accessToken: account.accessToken,
  });
  const startedAtMs = Date.now();
  let requests = 0;
  let rejected = 0;
  let lastAcceptedAtMs = startedAtMs;

  const send = async (dest: string[], room: string | undefined): Promise<string> => {
    for (let tries = 1; ; tries += 1) {
      requests += 1;
      try {
        const result = await client.conferenceCall({ dest, room });
        lastAcceptedAtMs = Date.now();
        return result.room;
      } catch (error) {
        if (!(error instanceof HoiioApiError) || error.status !== 'error_concurrent_call_limit_reached') throw error;
        rejected += 1;
        if (tries >= MAX_TRIES_PER_BATCH) throw new Error(`naive script: a batch was refused ${tries} times`);
        await sleep(NAIVE_RETRY_MS);
      }
    }
  };

  try {
    const batches: string[][] = [];
    for (let i = 0; i < numbers.length; i += BATCH) batches.push(numbers.slice(i, i + BATCH));
    const [first, ...rest] = batches;
    if (!first) throw new Error('naive script: no numbers');
    // The first batch opens the room; every other batch goes out at once into it.
    const room = await send(first, undefined);
    await Promise.all(rest.map((batch) => send(batch, room)));
    return { room, requests, rejected, startedAtMs, lastAcceptedAtMs };
  } finally {
    await client.close();
  }
}
