import { request } from 'undici';

/** GET on a running simulator's `/_sim/...` routes, the reply parsed as JSON; throws on any answer but 200. */
export async function simGet<T>(origin: string, route: string): Promise<T> {
  const reply = await request(`${origin}${route}`);
  const text = await reply.body.text();
  if (reply.statusCode !== 200) throw new Error(`GET ${route} answered ${reply.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}

/** POST of a JSON body to a running simulator's `/_sim/...` routes; throws on any answer but 200. */
export async function simPost(origin: string, route: string, body: unknown): Promise<void> {
  const reply = await request(`${origin}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await reply.body.text();
  if (reply.statusCode !== 200) throw new Error(`POST ${route} answered ${reply.statusCode}: ${text}`);
}
