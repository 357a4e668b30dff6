// Loads a long list a page at a time, as the virtualized list scrolls:
// only the pages around what is on screen are ever fetched, so the library
// opens as fast with 20,000 documents as with 20.

export interface PageResult<T> {
  items: T[];
  total: number;
}

export class PagedList<T> {
  private pages = new Map<number, T[]>();
  private loading = new Map<number, Promise<void>>();
  total = 0;
  private gen = 0;

  constructor(
    private fetchPage: (offset: number, limit: number) => Promise<PageResult<T>>,
    readonly pageSize = 100,
    private onChange: () => void = () => {},
  ) {}

  /** The item at index i, or undefined while its page loads. */
  at(i: number): T | undefined {
    return this.pages.get(Math.floor(i / this.pageSize))?.[i % this.pageSize];
  }

  /** Makes sure the pages holding items start..end (exclusive) are loaded. */
  async ensure(start: number, end: number): Promise<void> {
    const first = Math.floor(Math.max(0, start) / this.pageSize);
    const last = Math.floor(Math.max(0, end - 1) / this.pageSize);
    const work: Promise<void>[] = [];
    for (let p = first; p <= last; p++) work.push(this.load(p));
    await Promise.all(work);
  }

  private load(p: number): Promise<void> {
    if (this.pages.has(p)) return Promise.resolve();
    const pending = this.loading.get(p);
    if (pending) return pending;
    const gen = this.gen;
    const job = this.fetchPage(p * this.pageSize, this.pageSize)
      .then((r) => {
        if (gen !== this.gen) return; // reset meanwhile: the result is stale
        this.pages.set(p, r.items);
        this.total = r.total;
        this.onChange();
      })
      .finally(() => {
        if (this.loading.get(p) === job) this.loading.delete(p);
      });
    this.loading.set(p, job);
    return job;
  }

  /** Forgets what was loaded (the list changed); the next ensure reloads. */
  reset(): void {
    this.gen++;
    this.pages.clear();
    this.loading.clear();
  }

  /** How many pages are held (for tests and the load benchmark). */
  get loadedPages(): number {
    return this.pages.size;
  }
}

/** Which rows a scrolled viewport shows, with overscan rows either side. */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan = 8): [number, number] {
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return [start, Math.max(start, end)];
}
