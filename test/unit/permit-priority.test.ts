import {
  compareQueued,
  effectivePriority,
  isPriority,
  PAGE_PRIORITY,
  queuePosition,
  ROUTINE_PRIORITY,
  type Queued,
} from '../../src/domain/permit-priority';
import { pendingRequestSchema, permitRequestSchema } from '../../src/workflows/messages';

type Entry = Queued & { id: string };

/** Queues the entries one by one, as the budget's ledger does, and returns their ids in serving order. */
function queueAll(entries: Entry[]): string[] {
  const queue: Entry[] = [];
  for (const entry of entries) queue.splice(queuePosition(queue, entry), 0, entry);
  return queue.map((e) => e.id);
}

describe('permit request priority', () => {
  it('follows Temporal task priorities: 1 to 5, lower first, 3 when absent; a page is 1', () => {
    expect(ROUTINE_PRIORITY).toBe(3);
    expect(PAGE_PRIORITY).toBe(1);
    expect([0, 1, 3, 5, 6, 2.5, Number.NaN, '1', undefined].map(isPriority)).toEqual([
      false,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(effectivePriority(undefined)).toBe(3);
    expect(effectivePriority(1)).toBe(1);
    expect(effectivePriority(5)).toBe(5);
  });

  it('serves a more urgent request first, whenever it came, and requests of one priority in the order they came', () => {
    const order = queueAll([
      { id: 'standup-1', priority: 3, requestedAt: 100 },
      { id: 'standup-2', priority: 3, requestedAt: 200 },
      { id: 'report', priority: 5, requestedAt: 250 },
      { id: 'page-1', priority: 1, requestedAt: 300 },
      { id: 'standup-3', priority: 3, requestedAt: 400 },
      { id: 'page-2', priority: 1, requestedAt: 500 },
      { id: 'urgent', priority: 2, requestedAt: 600 },
    ]);
    expect(order).toEqual(['page-1', 'page-2', 'urgent', 'standup-1', 'standup-2', 'standup-3', 'report']);
  });

  it('keeps requests of one priority learned at the same instant in the order they arrived', () => {
    // A budget recovering from reports may queue several requests within one workflow task: one timestamp.
    expect(
      queueAll([
        { id: 'a', priority: 3, requestedAt: 100 },
        { id: 'b', priority: 3, requestedAt: 100 },
        { id: 'p', priority: 1, requestedAt: 100 },
        { id: 'c', priority: 3, requestedAt: 100 },
      ]),
    ).toEqual(['p', 'a', 'b', 'c']);
  });

  it('compares by priority, then by when the request came', () => {
    expect(compareQueued({ priority: 1, requestedAt: 500 }, { priority: 3, requestedAt: 100 })).toBeLessThan(0);
    expect(compareQueued({ priority: 3, requestedAt: 100 }, { priority: 3, requestedAt: 200 })).toBeLessThan(0);
    expect(compareQueued({ priority: 3, requestedAt: 100 }, { priority: 3, requestedAt: 100 })).toBe(0);
  });

  it('is accepted on requests and pending reports only from 1 to 5, and may be absent', () => {
    const request = { requestId: 'r', holder: 'h', count: 1 };
    expect(permitRequestSchema.safeParse(request).success).toBe(true);
    expect(permitRequestSchema.parse({ ...request, priority: 1 }).priority).toBe(1);
    for (const bad of [0, 6, 1.5, '1', null]) {
      expect(permitRequestSchema.safeParse({ ...request, priority: bad }).success).toBe(false);
      expect(pendingRequestSchema.safeParse({ requestId: 'r', remaining: 1, priority: bad }).success).toBe(false);
    }
    expect(pendingRequestSchema.parse({ requestId: 'r', remaining: 2, priority: 5 })).toEqual({
      requestId: 'r',
      remaining: 2,
      priority: 5,
    });
  });
});
