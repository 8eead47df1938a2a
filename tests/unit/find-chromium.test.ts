/** The browser finder's decision (tests/e2e/chromium.ts), over a made-up machine. */
import { describe, expect, test } from 'vitest';
import { decideChromium, SYSTEM_CHROMIUMS, type ChromiumProbe } from '../e2e/chromium';

const machine = (have: string[], over: Partial<ChromiumProbe> = {}): ChromiumProbe => ({
  envPath: undefined,
  executable: (p) => have.includes(p),
  apt: null,
  ...over,
});

describe('decideChromium', () => {
  test('CHROMIUM_PATH wins over the system paths when it is there', () => {
    const d = decideChromium(
      machine(['/opt/chrome/chrome', '/usr/bin/chromium'], { envPath: '/opt/chrome/chrome' }),
    );
    expect(d).toEqual({ kind: 'found', path: '/opt/chrome/chrome' });
  });

  test('a CHROMIUM_PATH that is not there stops with one sentence, even when apt could install', () => {
    const d = decideChromium(machine(['/usr/bin/chromium'], { envPath: '/nonexistent', apt: 'root' }));
    expect(d.kind).toBe('missing');
    if (d.kind !== 'missing') return;
    expect(d.message).toContain('CHROMIUM_PATH is /nonexistent');
    expect(d.message).toContain('apt-get install chromium');
    expect(d.message.split(/\.\s/)).toHaveLength(1);
  });

  test('the usual system paths are tried in order', () => {
    expect(decideChromium(machine(['/snap/bin/chromium', '/usr/bin/google-chrome']))).toEqual({
      kind: 'found',
      path: '/usr/bin/google-chrome',
    });
    expect(decideChromium(machine([SYSTEM_CHROMIUMS[0], '/snap/bin/chromium']))).toEqual({
      kind: 'found',
      path: '/usr/bin/chromium',
    });
  });

  test('none found: apt-get as root installs chromium directly', () => {
    expect(decideChromium(machine([], { apt: 'root' }))).toEqual({
      kind: 'install',
      command: ['apt-get', 'install', '-y', '-qq', 'chromium'],
      path: '/usr/bin/chromium',
    });
  });

  test('none found: passwordless sudo installs it through sudo -n', () => {
    const d = decideChromium(machine([], { apt: 'sudo' }));
    expect(d.kind === 'install' && d.command.slice(0, 3)).toEqual(['sudo', '-n', 'apt-get']);
  });

  test('none found and no usable apt-get: one sentence naming the paths and what to install', () => {
    const d = decideChromium(machine([]));
    expect(d.kind).toBe('missing');
    if (d.kind !== 'missing') return;
    for (const p of SYSTEM_CHROMIUMS) expect(d.message).toContain(p);
    expect(d.message).toContain('apt-get install chromium');
    expect(d.message).toContain('CHROMIUM_PATH');
    expect(d.message.endsWith('.')).toBe(true);
    expect(d.message.split(/\.\s/)).toHaveLength(1);
  });
});
