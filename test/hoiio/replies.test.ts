import { HoiioApiError, HoiioTransportError } from '../../src/hoiio';
import {
  parseBalanceReply,
  parseCallRecordReply,
  parseConferenceCallReply,
  parseHistoryReply,
  parseIvrDialReply,
  parseIvrTransferReply,
  parseRateReply,
  readEnvelope,
} from '../../src/hoiio/replies';

/** Reply parsing from the documented examples (docs/hoiio-api.md, "Endpoints"), no network. */

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('the reply envelope', () => {
  it('returns the object on success_ok', () => {
    expect(readEnvelope('user/get_balance', '{"status":"success_ok","currency":"SGD"}')).toEqual({
      status: 'success_ok',
      currency: 'SGD',
    });
  });

  it.each([
    ['error_invalid_access_token', 'auth', false],
    ['error_invalid_app_id', 'auth', false],
    ['error_rate_limit_exceeded', 'limit', true],
    ['error_concurrent_call_limit_reached', 'limit', true],
    ['error_insufficient_credit', 'credit', false],
    ['error_not_allowed_for_trial', 'credit', false],
    ['error_dest_param_missing', 'input', false],
    ['error_internal_server_error', 'server', true],
    ['error_brand_new_status', 'unknown', false],
  ])('maps %s to HoiioApiError (%s, retryable %s)', (status, category, retryable) => {
    const thrown = thrownBy(() => readEnvelope('conference/call', JSON.stringify({ status })));
    expect(thrown).toBeInstanceOf(HoiioApiError);
    expect(thrown).toMatchObject({ status, category, retryable, endpoint: 'conference/call' });
    expect((thrown as Error).message).toContain(status);
  });

  it.each(['<html>502 Bad Gateway</html>', '[]', 'null', '{"txn_ref":"AA-C-1"}', ''])(
    'treats %j as a retryable, ambiguous transport error',
    (body) => {
      const error = thrownBy(() => readEnvelope('conference/call', body));
      expect(error).toBeInstanceOf(HoiioTransportError);
      expect(error).toMatchObject({ reason: 'non_json', retryable: true, ambiguous: true });
    },
  );
});

describe('conference/call', () => {
  it('reads the documented array of txn_refs and the room', () => {
    const reply = { txn_refs: ['AA-C-141147', 'AA-C-141148', 'AA-C-141149'], room: 'R123', status: 'success_ok' };
    expect(parseConferenceCallReply('conference/call', reply, 3)).toEqual({
      txnRefs: ['AA-C-141147', 'AA-C-141148', 'AA-C-141149'],
      room: 'R123',
    });
  });

  it('also reads the legacy comma-joined string', () => {
    const reply = { txn_refs: 'AA-C-1, AA-C-2,AA-C-3', room: 'R9', status: 'success_ok' };
    expect(parseConferenceCallReply('voice/conference', reply, 3).txnRefs).toEqual(['AA-C-1', 'AA-C-2', 'AA-C-3']);
  });

  it('refuses a reply whose txn_refs do not match the destinations one to one', () => {
    const reply = { txn_refs: ['AA-C-1'], room: 'R9', status: 'success_ok' };
    expect(() => parseConferenceCallReply('conference/call', reply, 2)).toThrow('1 entries for 2 destinations');
    // Hoiio said success: it may have dialed, so a caller must reconcile before dialing again.
    expect(
      thrownBy(() => parseConferenceCallReply('conference/call', { room: 'R9', status: 'success_ok' }, 1)),
    ).toMatchObject({
      reason: 'invalid_reply',
      ambiguous: true,
      retryable: false,
    });
  });
});

describe('voice/query_status', () => {
  it('reads the documented example with money in thousandths', () => {
    const reply = {
      status: 'success_ok',
      txn_ref: 'AA-S-141147',
      tag: 'id_1',
      dest1: '+6511111111',
      dest2: '+6522222222',
      call_status_dest1: 'answered',
      call_status_dest2: 'answered',
      date: '2010-01-01 10:10:00',
      duration: '7',
      currency: 'SGD',
      rate: '0.020',
      debit: '0.140',
    };
    expect(parseCallRecordReply('voice/query_status', reply)).toEqual({
      txnRef: 'AA-S-141147',
      tag: 'id_1',
      dest: '+6511111111',
      callStatus: 'answered',
      date: '2010-01-01 10:10:00',
      dateEpochMs: Date.UTC(2010, 0, 1, 2, 10, 0),
      durationMinutes: 7,
      currency: 'SGD',
      rate: 20,
      debit: 140,
    });
  });

  it('leaves duration and debit out while the call is ongoing, and reads the single-leg field names', () => {
    const reply = {
      status: 'success_ok',
      txn_ref: 'AA-C-5',
      dest: '+6511111111',
      call_status_dest: 'ongoing',
      date: '2024-05-01 09:00:00',
      duration: '0',
      currency: 'SGD',
      rate: '0.020',
      debit: '',
      tag: '',
    };
    const record = parseCallRecordReply('voice/query_status', reply);
    expect(record).toEqual({
      txnRef: 'AA-C-5',
      dest: '+6511111111',
      callStatus: 'ongoing',
      date: '2024-05-01 09:00:00',
      dateEpochMs: Date.UTC(2024, 4, 1, 1, 0, 0),
      currency: 'SGD',
      rate: 20,
    });
    expect('durationMinutes' in record).toBe(false);
    expect('debit' in record).toBe(false);
  });

  it.each([
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'ringing' }, 'call_status_dest1'],
    [{ txn_ref: 'AA-C-1' }, 'missing call status'],
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'answered', debit: '0.0201' }, 'debit'],
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'answered', duration: '7.5' }, 'duration'],
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'answered', rate: '-0.020' }, 'rate: must be a non-negative'],
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'answered', debit: '-0.140' }, 'debit: must be a non-negative'],
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'answered', debit: -0.14 }, 'debit: must be a non-negative'],
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'answered', debit: '9999999999999.999' }, 'debit'],
    [{ txn_ref: 'AA-C-1', call_status_dest1: 'answered', date: '2010-01-01T10:10:00Z' }, 'date'],
  ])('refuses %j, naming the field', (reply, field) => {
    expect(() => parseCallRecordReply('voice/query_status', { status: 'success_ok', ...reply })).toThrow(field);
  });
});

describe('voice/get_history', () => {
  it('reads counts and entries, tags included', () => {
    const reply = {
      status: 'success_ok',
      entries_count: '2',
      total_entries_count: '102',
      entries: [
        {
          txn_ref: 'AA-C-1',
          tag: 'session-1',
          dest1: '+6511111111',
          call_status_dest1: 'busy',
          date: '2024-01-01 00:00:00',
          duration: '0',
          currency: 'SGD',
          rate: '0.020',
          debit: '0.000',
        },
        {
          txn_ref: 'AA-C-2',
          tag: 'session-1',
          dest1: '+6522222222',
          call_status_dest1: 'ongoing',
          date: '2024-01-01 00:00:01',
          currency: 'SGD',
          rate: '0.035',
        },
      ],
    };
    const page = parseHistoryReply('voice/get_history', reply);
    expect(page.entriesCount).toBe(2);
    expect(page.totalEntriesCount).toBe(102);
    expect(page.entries.map((entry) => [entry.txnRef, entry.tag, entry.callStatus, entry.debit])).toEqual([
      ['AA-C-1', 'session-1', 'busy', 0],
      ['AA-C-2', 'session-1', 'ongoing', undefined],
    ]);
  });

  it.each([
    ['rate', { rate: '-0.020' }],
    ['debit', { debit: '-0.060' }],
  ])('refuses an entry with a negative %s, naming it', (field, money) => {
    const entry = { txn_ref: 'AA-C-1', call_status_dest1: 'answered', duration: '3', currency: 'SGD', rate: '0.020' };
    const reply = {
      status: 'success_ok',
      entries_count: '1',
      total_entries_count: '1',
      entries: [{ ...entry, debit: '0.060', ...money }],
    };
    expect(() => parseHistoryReply('voice/get_history', reply)).toThrow(`entries.0.${field}: must be a non-negative`);
  });

  it('reads an empty page without entries', () => {
    expect(
      parseHistoryReply('voice/get_history', { status: 'success_ok', entries_count: '0', total_entries_count: '0' }),
    ).toEqual({
      entriesCount: 0,
      totalEntriesCount: 0,
      entries: [],
    });
  });
});

describe('voice/get_rate and user/get_balance', () => {
  it('reads a rate with and without talktime', () => {
    expect(parseRateReply('voice/get_rate', { status: 'success_ok', rate: '0.03', currency: 'SGD' })).toEqual({
      currency: 'SGD',
      rate: 30,
    });
    expect(
      parseRateReply('voice/get_rate', { status: 'success_ok', rate: '0.035', currency: 'USD', talktime: '1561' }),
    ).toEqual({
      currency: 'USD',
      rate: 35,
      talktimeMinutes: 1561,
    });
  });

  it('reads the documented balance exactly', () => {
    const reply = { status: 'success_ok', currency: 'SGD', balance: '54.650', points: '50.000', bonus: '4.650' };
    const balance = parseBalanceReply('user/get_balance', reply);
    expect(balance).toEqual({ currency: 'SGD', balance: 54_650, points: 50_000, bonus: 4_650 });
    expect(balance.points + balance.bonus).toBe(balance.balance);
  });

  it('refuses a malformed currency or amount', () => {
    expect(() =>
      parseBalanceReply('user/get_balance', { currency: 'sgd', balance: '1', points: '1', bonus: '0' }),
    ).toThrow('currency');
    expect(() => parseRateReply('voice/get_rate', { currency: 'SGD', rate: 'free' })).toThrow('rate');
    expect(() => parseRateReply('voice/get_rate', { currency: 'SGD', rate: '-0.03' })).toThrow(
      'rate: must be a non-negative',
    );
  });
});

describe('IVR', () => {
  it('reads the dial reply: session and txn_ref', () => {
    expect(
      parseIvrDialReply('ivr/start/dial', { status: 'success_ok', session: 'S3839', txn_ref: 'AA-C-2507650' }),
    ).toEqual({ session: 'S3839', txnRef: 'AA-C-2507650' });
  });

  it('refuses a dial reply without a session: the call could not be driven', () => {
    const error = thrownBy(() => parseIvrDialReply('ivr/start/dial', { status: 'success_ok', txn_ref: 'AA-C-1' }));
    expect(error).toBeInstanceOf(HoiioTransportError);
    expect(error).toMatchObject({ reason: 'invalid_reply', retryable: false, ambiguous: true });
  });

  it('reads a transfer reply, with a room when the transfer was into one', () => {
    expect(parseIvrTransferReply('ivr/end/transfer', { status: 'success_ok', room: 'R1001' }, true)).toEqual({
      room: 'R1001',
    });
    expect(parseIvrTransferReply('ivr/end/transfer', { status: 'success_ok' }, false)).toEqual({});
    const error = thrownBy(() => parseIvrTransferReply('ivr/end/transfer', { status: 'success_ok', room: '' }, true));
    expect(error).toMatchObject({ reason: 'invalid_reply' });
  });

  it("keeps an IVR call record's session", () => {
    const record = parseCallRecordReply('voice/query_status', {
      status: 'success_ok',
      txn_ref: 'AA-C-1',
      session: 'S4001',
      dest1: '+6591110001',
      call_status_dest1: 'ongoing',
    });
    expect(record).toMatchObject({ txnRef: 'AA-C-1', session: 'S4001', callStatus: 'ongoing' });
  });
});
