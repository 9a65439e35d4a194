/**
 * The reference: what dialing could reach without durability. An in-memory greedy dialer with one slot per line: it
 * dials the next number (sessions taken in turn) the moment a slot is free, straight over HTTP to the simulator, and
 * frees the slot when the simulator's end-of-call notification reaches its own little HTTP server. A crash loses
 * everything; it only shows how short a freed line's idle time can be on this machine.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHoiioClient, type HoiioAccountConfig } from '../../src/hoiio';
import { LINES } from './ledger';

export interface GreedyResult {
  startedAtMs: number;
  requests: number;
}

/** Dials every session's numbers through `LINES` slots; resolves once every leg's end has been notified. */
export async function runGreedyDialer(
  account: Pick<HoiioAccountConfig, 'baseUrl' | 'appId' | 'accessToken'>,
  sessions: string[][],
): Promise<GreedyResult> {
  const client = createHoiioClient({
    baseUrl: account.baseUrl,
    appId: account.appId,
    accessToken: account.accessToken,
  });
  // Sessions in turn: the first number of each, then the second of each, and so on.
  const queue: Array<{ session: number; number: string }> = [];
  for (let i = 0; i < Math.max(...sessions.map((numbers) => numbers.length)); i += 1) {
    sessions.forEach((numbers, session) => {
      const number = numbers[i];
      if (number !== undefined) queue.push({ session, number });
    });
  }
  const rooms = new Map<number, Promise<string>>();
  const open = new Set<string>();
  /** Ends notified before their dial's reply arrived. */
  const endedEarly = new Set<string>();
  let free = LINES;
  let dialing = 0;
  let requests = 0;

  let server: Server | undefined;
  try {
    return await new Promise<GreedyResult>((resolve, reject) => {
      const startedAtMs = Date.now();
      const finishIfDone = (): void => {
        if (queue.length === 0 && dialing === 0 && open.size === 0) resolve({ startedAtMs, requests });
      };
      const ended = (txnRef: string): void => {
        if (!open.delete(txnRef)) {
          endedEarly.add(txnRef);
          return;
        }
        free += 1;
        pump();
      };
      const dial = async (session: number, number: string): Promise<void> => {
        requests += 1;
        const room = rooms.get(session);
        const notifyUrl = `http://127.0.0.1:${(server?.address() as AddressInfo).port}/`;
        const call = room
          ? room.then((id) => client.conferenceCall({ dest: [number], room: id, notifyUrl }))
          : client.conferenceCall({ dest: [number], notifyUrl });
        if (!room)
          rooms.set(
            session,
            call.then((result) => result.room),
          );
        const [txnRef] = (await call).txnRefs;
        if (txnRef === undefined) throw new Error(`greedy dialer: no txn_ref for ${number}`);
        open.add(txnRef);
        if (endedEarly.delete(txnRef)) ended(txnRef);
      };
      const pump = (): void => {
        while (free > 0 && queue.length > 0) {
          const next = queue.shift()!;
          free -= 1;
          dialing += 1;
          dial(next.session, next.number).then(() => {
            dialing -= 1;
            finishIfDone();
          }, reject);
        }
        finishIfDone();
      };
      server = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk: Buffer) => (body += chunk.toString()));
        request.on('end', () => {
          response.end();
          const txnRef = new URLSearchParams(body).get('txn_ref');
          if (txnRef) ended(txnRef);
        });
      });
      server.listen(0, '127.0.0.1', pump);
    });
  } finally {
    server?.close();
    await client.close();
  }
}
