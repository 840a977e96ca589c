import { AriHttpError } from './errors';

/** What Asterisk looks up by id (channels, bridges); an unknown id gets ARI's 404 with Asterisk's message. */
export class ById<T extends { readonly id: string }> {
  private readonly items = new Map<string, T>();

  constructor(private readonly notFound: string) {}

  has(id: string): boolean {
    return this.items.has(id);
  }

  find(id: string): T | undefined {
    return this.items.get(id);
  }

  /** The item, or ARI's 404. */
  get(id: string): T {
    const item = this.items.get(id);
    if (!item) throw new AriHttpError(404, { message: this.notFound });
    return item;
  }

  add(item: T): void {
    this.items.set(item.id, item);
  }

  delete(id: string): void {
    this.items.delete(id);
  }

  list(): T[] {
    return [...this.items.values()];
  }
}
