import type { SimStats } from './inspection-types';

/** Counters behind `GET /_sim/stats`: what a test needs to prove a limit was respected. */
export class Stats {
  requests: Record<string, number> = {};
  rejections: Record<string, number> = {};
  peakConcurrentCalls: Record<string, number> = {};
  peakRoomParticipants: Record<string, number> = {};
  http5xx: Record<string, number> = {};
  notifications = { sent: 0, delivered: 0, failed: 0, dropped: 0, duplicated: 0, delayed: 0, reordered: 0 };

  countRequest(endpoint: string): void {
    bump(this.requests, endpoint);
  }

  countRejection(status: string): void {
    bump(this.rejections, status);
  }

  countHttp5xx(status: number): void {
    bump(this.http5xx, String(status));
  }

  observeConcurrent(appId: string, active: number): void {
    this.peakConcurrentCalls[appId] = Math.max(this.peakConcurrentCalls[appId] ?? 0, active);
  }

  observeRoom(room: string, active: number): void {
    this.peakRoomParticipants[room] = Math.max(this.peakRoomParticipants[room] ?? 0, active);
  }

  snapshot(): Omit<SimStats, 'activeCalls'> {
    return {
      requests: { ...this.requests },
      rejections: { ...this.rejections },
      peakConcurrentCalls: { ...this.peakConcurrentCalls },
      peakRoomParticipants: { ...this.peakRoomParticipants },
      http5xx: { ...this.http5xx },
      notifications: { ...this.notifications },
    };
  }
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
