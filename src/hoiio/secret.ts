import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * The access token, wrapped so that it cannot leak by accident (docs/design.md, invariant 5): JSON.stringify, string
 * interpolation and console.log/util.inspect all show `[redacted]`. The value sits in a private field, which no
 * enumeration, spread or structured log reaches; only an explicit `reveal()` hands it out.
 */
export class HoiioSecret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The token itself: call this only where it goes into a request body or an HMAC key. */
  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export function toSecret(value: string | HoiioSecret): HoiioSecret {
  return value instanceof HoiioSecret ? value : new HoiioSecret(value);
}
