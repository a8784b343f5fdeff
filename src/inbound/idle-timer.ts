/**
 * The idle timer of an inbound connection (RFC 5321 §4.5.3.2: a server may close a
 * connection that stays silent, after a 421). `arm` is called at every sign of life; a
 * `timeoutMs` of 0 disables it.
 */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly timeoutMs: number, private readonly onIdle: () => void) {}

  arm(): void {
    if (this.stopped || this.timeoutMs <= 0) return;
    // refresh() re-arms the same timer: cheaper than a new one for every chunk received.
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => this.onIdle(), this.timeoutMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
