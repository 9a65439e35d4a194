import type { Log } from './temporal-cli';

/**
 * Collects a cleanup as each piece of a stack starts, so that stopping (or a start interrupted by Ctrl-C or a port in
 * use) undoes exactly what was done, newest first, and leaves no process behind.
 */
export class StackBuilder {
  private readonly cleanups: Array<() => Promise<void>> = [];
  private stopping: Promise<Error[]> | undefined;

  constructor(private readonly log: Log = () => undefined) {}

  onStop(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  /** Runs every cleanup even if some fail; resolves with the failures (each also logged). Safe to call again. */
  stop(): Promise<Error[]> {
    this.stopping ??= (async () => {
      const errors: Error[] = [];
      for (const cleanup of this.cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(String(error));
          errors.push(failure);
          this.log(`While stopping: ${failure.message}`);
        }
      }
      return errors;
    })();
    return this.stopping;
  }
}
