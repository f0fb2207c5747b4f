// An AbortController made only when a task actually reads its signal. Most
// tasks never do, and creating an AbortSignal per task showed up in profiles.
// An abort before the signal exists is remembered and applied on creation.
export class LazyAbort {
  private controller: AbortController | undefined;
  private reason: unknown;
  private abortedFlag = false;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortedFlag) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.abortedFlag;
  }

  abort(reason: unknown): void {
    if (this.abortedFlag) return;
    this.abortedFlag = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}
