/** The last `limit` ids seen, oldest first, with a set beside them for lookups; carried across runs as the array. */
export class RecentIds {
  private readonly order: string[];
  private readonly known: Set<string>;

  constructor(
    ids: string[],
    private readonly limit: number,
  ) {
    this.order = ids;
    this.known = new Set(ids);
  }

  has(id: string): boolean {
    return this.known.has(id);
  }

  /** Remembers `id`; false if it was known already. */
  add(id: string): boolean {
    if (this.known.has(id)) return false;
    this.order.push(id);
    this.known.add(id);
    while (this.order.length > this.limit) this.known.delete(this.order.shift()!);
    return true;
  }

  toArray(): string[] {
    return [...this.order];
  }
}
