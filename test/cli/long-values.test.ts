import { runCli } from './run-cli';

/**
 * Bad input echoed back is cut: a pasted 300-character value shows its first 40 characters and its length, so the
 * error stays readable. Input errors exit 2 before any server is reached, so none is started here.
 */
describe('bridgekeeper CLI with 300-character bad values', () => {
  const number = `+${'9'.repeat(299)}`;
  const tag = 't'.repeat(300);

  it('call cuts each bad value, words every rule alike, and exits 2', async () => {
    const run = await runCli(['call', number, '--tag', tag, '--grace', 'g'.repeat(300)], {
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`participants[0] = "+${'9'.repeat(39)}… (300 characters): must be E.164`);
    expect(run.stderr).toContain(`tag = "${'t'.repeat(40)}… (300 characters): must be at most 200 characters`);
    expect(run.stderr).toContain(`--grace "${'g'.repeat(40)}… (300 characters): must be a whole number of seconds`);
    expect(run.stderr).not.toContain('9'.repeat(41));
    expect(run.stderr).not.toContain('t'.repeat(41));
    for (const line of run.stderr.split('\n')) expect(line.length).toBeLessThan(160);
  });

  it('kick cuts the bad number and exits 2', async () => {
    const run = await runCli(['kick', 'some-session', number], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`"+${'9'.repeat(39)}… (300 characters): must be E.164`);
    expect(run.stderr).not.toContain('9'.repeat(41));
  });
});
