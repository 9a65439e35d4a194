import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { tokenMatches } from './accounts';
import { type Endpoint, ENDPOINTS, type LimitedEndpoint } from './config-schema';
import { conferenceCall } from './endpoints/conference-call';
import { getBalance } from './endpoints/get-balance';
import { getHistory } from './endpoints/get-history';
import { getRate } from './endpoints/get-rate';
import { hangup } from './endpoints/hangup';
import { ivrDial, ivrGather, ivrHangup, ivrTransfer } from './endpoints/ivr';
import { moderate } from './endpoints/moderate';
import { queryStatus } from './endpoints/query-status';
import { fail, firstMissing, type Handler, type Reply } from './endpoints/types';
import { decideFault } from './faults';
import { bodyText, parseForm, rawQuery } from './form-params';
import { type SimulatorState } from './state';

const HANDLERS: Record<Endpoint, Handler> = {
  'conference/call': conferenceCall,
  'voice/conference': conferenceCall,
  'conference/moderate': moderate,
  'voice/query_status': queryStatus,
  'voice/hangup': hangup,
  'voice/get_history': getHistory,
  'voice/get_rate': getRate,
  'user/get_balance': getBalance,
  'ivr/start/dial': ivrDial,
  'ivr/middle/gather': ivrGather,
  'ivr/end/transfer': ivrTransfer,
  'ivr/end/hangup': ivrHangup,
};

/** The legacy alias is the same API, so it shares conference/call's request window. */
const LIMIT_KEY: Record<Endpoint, LimitedEndpoint> = {
  'conference/call': 'conference/call',
  'voice/conference': 'conference/call',
  'conference/moderate': 'conference/moderate',
  'voice/query_status': 'voice/query_status',
  'voice/hangup': 'voice/hangup',
  'voice/get_history': 'voice/get_history',
  'voice/get_rate': 'voice/get_rate',
  'user/get_balance': 'user/get_balance',
  'ivr/start/dial': 'ivr/start/dial',
  'ivr/middle/gather': 'ivr/middle/gather',
  'ivr/end/transfer': 'ivr/end/transfer',
  'ivr/end/hangup': 'ivr/end/hangup',
};

function isEndpoint(path: string): path is Endpoint {
  return (ENDPOINTS as readonly string[]).includes(path);
}

/**
 * The Hoiio API under /open/. Encapsulated so its "every body is raw bytes" parser does not leak into /_sim/,
 * which speaks JSON.
 */
export async function registerApiRoutes(app: FastifyInstance, state: SimulatorState): Promise<void> {
  await app.register((api, _options, done) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, parsed) => parsed(null, body));
    api.all('/open/*', (request, reply) => handleApiRequest(state, request, reply));
    done();
  });
}

async function handleApiRequest(state: SimulatorState, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const path = (request.params as { '*': string })['*'].replace(/\/+$/, '');
  if (!isEndpoint(path)) {
    // Not a Hoiio path at all; Hoiio's answer is unknown, a plain 404 is the least surprising.
    await reply.code(404).send({ status: 'error_not_found' });
    return;
  }
  const endpoint = path;
  const { settings, stats } = state;
  stats.countRequest(endpoint);
  const fault = decideFault(endpoint, settings, state.rngs.apiFaults);

  const respond = async (body: Reply): Promise<void> => {
    if (fault.delayMs > 0) await state.timers.sleep(fault.delayMs);
    if (body.status !== 'success_ok') stats.countRejection(body.status);
    state.log(`${request.method} /open/${endpoint} -> ${body.status}`);
    await reply.code(200).send(body);
  };
  const transportFault = async (status: number): Promise<void> => {
    if (fault.delayMs > 0) await state.timers.sleep(fault.delayMs);
    stats.countHttp5xx(status);
    state.log(`${request.method} /open/${endpoint} -> HTTP ${status} (injected)`);
    await reply.code(status).type('text/html').send(`<html><body><h1>${status}</h1></body></html>`);
  };

  if (request.method !== 'GET' && request.method !== 'POST') return respond(fail('error_invalid_http_method'));
  if (fault.instead === 'http5xx') return transportFault(fault.http5xxStatus);
  if (fault.instead) return respond(fail(fault.instead));

  const query = parseForm(rawQuery(request.raw.url ?? ''));
  const text = request.method === 'POST' ? bodyText(request.body) : '';
  const body = text === undefined ? undefined : parseForm(text);
  if (!query || !body) return respond(fail('error_malformed_params'));
  // POST params may also ride in the query string (the Python and Go SDKs put everything there); the body wins.
  const params = { ...query, ...body };

  const missing = firstMissing(params, ['app_id', 'access_token']);
  if (missing) return respond(missing);
  const account = state.accounts.get(params.app_id ?? '');
  if (!account) return respond(fail('error_invalid_app_id'));
  if (!tokenMatches(account, params.access_token ?? '')) return respond(fail('error_invalid_access_token'));

  const limitKey = LIMIT_KEY[endpoint];
  if (!state.limiter.admit(account.config.appId, limitKey, settings.rateLimits[limitKey], settings.rateLimitWindowMs)) {
    return respond(fail('error_rate_limit_exceeded'));
  }

  let result: Reply;
  try {
    result = await HANDLERS[endpoint]({ endpoint, params, account, state });
  } catch (error) {
    state.log(`/open/${endpoint} crashed: ${error instanceof Error ? error.message : String(error)}`);
    result = fail('error_internal_server_error');
  }
  // The work is done (legs may be ringing) but the client never learns it: the ambiguous failure to reconcile.
  if (fault.failAfter) return transportFault(fault.http5xxStatus);
  return respond(result);
}
