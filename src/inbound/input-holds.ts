/**
 * Why reading from a client is paused, by name. Reading pauses while any reason holds and
 * resumes when none does: a reader backlog, replies the client does not read, an upstream
 * server that does not read what is relayed, the program's own output falling behind.
 * Memory then stays at one socket buffer per direction, whatever the client sends.
 */
export class InputHolds<Reason extends string> {
  private readonly held = new Set<Reason>();
  private paused = false;
  private released = false;

  constructor(private readonly io: { pause(): void; resume(): void }) {}

  has(reason: Reason): boolean {
    return this.held.has(reason);
  }

  set(reason: Reason, on: boolean): void {
    if (on) this.held.add(reason);
    else this.held.delete(reason);
    this.apply();
  }

  /**
   * The connection is ending: read again whatever held reading, for good. The client's own
   * close must be seen, and a socket that is not read never learns of it.
   */
  release(): void {
    this.released = true;
    this.held.clear();
    this.apply();
  }

  private apply(): void {
    const pause = !this.released && this.held.size > 0;
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.io.pause();
    else this.io.resume();
  }
}
