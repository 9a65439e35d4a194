/**
 * Hoiio takes form-urlencoded params in the query (GET) or the body (POST). Parsed by hand rather than with
 * URLSearchParams because that silently keeps broken escapes and replaces bad UTF-8, and Hoiio answers those with
 * `error_malformed_params`.
 */
export type Params = Record<string, string>;

/** Parses `a=1&b=%2B65`; returns undefined when a percent escape is broken or decodes to invalid UTF-8. */
export function parseForm(text: string): Params | undefined {
  const params: Params = {};
  if (text === '') return params;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const name = decode(rawName);
    const value = decode(rawValue);
    if (name === undefined || value === undefined) return undefined;
    // Last one wins, as PHP (Hoiio's own stack, judging by its samples) does.
    params[name] = value;
  }
  return params;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Body bytes to text; undefined when they are not valid UTF-8. */
export function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) {
    try {
      return strictUtf8.decode(body);
    } catch {
      return undefined;
    }
  }
  return '';
}

/** The query part of a raw request URL, without the `?`. */
export function rawQuery(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? '' : url.slice(at + 1);
}
