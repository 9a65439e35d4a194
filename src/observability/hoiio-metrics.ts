import { HoiioApiError, HoiioTransportError } from '../hoiio/errors';
import { hoiioReplies, hoiioRequestSeconds, statusLabel } from './metrics';

/**
 * Times one Hoiio request and counts its reply by status: Hoiio's own status when it answered, `transport_<reason>`
 * (timeout, connect, http_status, ...) when no usable answer came back.
 */
export async function measureHoiioRequest<T>(endpoint: string, send: () => Promise<T>): Promise<T> {
  const stop = hoiioRequestSeconds.startTimer({ endpoint });
  try {
    const reply = await send();
    hoiioReplies.inc({ endpoint, status: 'success_ok' });
    return reply;
  } catch (error) {
    hoiioReplies.inc({ endpoint, status: replyStatus(error) });
    throw error;
  } finally {
    stop();
  }
}

function replyStatus(error: unknown): string {
  if (error instanceof HoiioApiError) return statusLabel(error.status);
  if (error instanceof HoiioTransportError) return statusLabel(`transport_${error.reason}`);
  return 'other';
}
