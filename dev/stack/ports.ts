import net from 'node:net';

/** Resolves when nothing listens on host:port, so a start can fail early with a message that names the port. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly purpose: string,
    hint: string,
  ) {
    super(`Port ${port} on 127.0.0.1 (${purpose}) is already in use. ${hint}`);
    this.name = 'PortInUseError';
  }
}

export async function assertPortFree(port: number, purpose: string, hint: string): Promise<void> {
  if (!(await isPortFree(port))) throw new PortInUseError(port, purpose, hint);
}
