/**
 * The input line's command history, newest last, bounded so a long session does not grow
 * without end. Browsing keeps the line being typed as a draft, the way shells do: going
 * down past the newest entry brings it back.
 */
export class HistoryRing {
  private readonly capacity: number;
  private readonly entries: string[] = [];
  /** Index into `entries` while browsing; `entries.length` means "at the draft". */
  private cursor = 0;
  private draft = '';

  constructor(capacity = 500) {
    this.capacity = Math.max(1, capacity);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Records a submitted line and stops browsing. Blank lines and repeats of the last are not kept. */
  add(line: string): void {
    if (line.trim() !== '' && this.entries[this.entries.length - 1] !== line) {
      this.entries.push(line);
      if (this.entries.length > this.capacity) this.entries.shift();
    }
    this.cursor = this.entries.length;
    this.draft = '';
  }

  /** The entry before the current one (up arrow), or undefined at the oldest. */
  previous(current: string): string | undefined {
    if (this.cursor === 0) return undefined;
    if (this.cursor === this.entries.length) this.draft = current;
    this.cursor--;
    return this.entries[this.cursor];
  }

  /** The entry after the current one (down arrow), the draft past the newest, undefined when not browsing. */
  next(): string | undefined {
    if (this.cursor >= this.entries.length) return undefined;
    this.cursor++;
    return this.cursor === this.entries.length ? this.draft : this.entries[this.cursor];
  }
}
