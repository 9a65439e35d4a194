import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docker-compose.yml publishes Temporal's frontend and UI, which have no authentication, and the receiver. A port
 * published without a host address listens on every interface, so each must name 127.0.0.1. Read line by line: the
 * project has no YAML parser, and the `ports:` lists are plain short-syntax strings.
 */
function publishedPorts(): string[] {
  const lines = readFileSync(join(__dirname, '../../docker-compose.yml'), 'utf8').split('\n');
  const published: string[] = [];
  let listIndent: number | undefined;
  for (const line of lines) {
    const indent = line.length - line.trimStart().length;
    if (/^\s*ports:\s*$/.test(line)) {
      listIndent = indent;
      continue;
    }
    if (listIndent === undefined || line.trim() === '') continue;
    const item = /^\s*-\s*['"]?([^'"#\s]+)['"]?/.exec(line);
    if (indent >= listIndent && item?.[1] !== undefined) published.push(item[1]);
    else listIndent = undefined;
  }
  return published;
}

describe('docker-compose.yml', () => {
  it('publishes every port on 127.0.0.1 only', () => {
    const ports = publishedPorts();
    expect(ports).toEqual(expect.arrayContaining([expect.stringContaining(':7233'), expect.stringContaining(':8080')]));
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });
});
