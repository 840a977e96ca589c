/** One page of a list, and (for await) every item from it on, fetching the next pages as it goes. */
export class Page<T extends { id?: string; number?: string }> implements AsyncIterable<T> {
  constructor(
    readonly data: T[],
    readonly has_more: boolean,
    /** The page after the one ending at `after` (its last item's cursor). */
    private readonly next: (after: string) => Promise<Page<T>>,
    /** An item's cursor for `starting_after` (its id; a do-not-call entry's number). */
    private readonly cursor: (item: T) => string = (item) => String(item.id),
  ) {}

  /** The page after this one, or null on the last. */
  async nextPage(): Promise<Page<T> | null> {
    const last = this.data.at(-1);
    return this.has_more && last ? this.next(this.cursor(last)) : null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    let page: Page<T> | null = this;
    while (page) {
      yield* page.data;
      page = await page.nextPage();
    }
  }
}
