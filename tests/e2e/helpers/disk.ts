/**
 * A small filesystem of its own (tmpfs) for a browser profile, so that a full disk is a real full
 * disk: Chromium's writes fail the way they fail on an artist's machine (LevelDB "FILE_ERROR_NO_SPACE",
 * blob files that cannot be written, OPFS and the Cache API refusing). A CDP quota override did not
 * make writes fail on Chromium 156; this does. Needs the right to mount (root, or CAP_SYS_ADMIN).
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, statfsSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point: put the profile under it. */
  dir: string;
  /** Bytes free for an unprivileged writer, as `df` says. */
  free(): number;
  /** Write a filler file until at most `leave` bytes are free. */
  fill(leave?: number): void;
  /** Delete the filler: the room it took is free again. */
  release(): void;
  unmount(): void;
}

const run = (cmd: string, args: string[]) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

export function mountSmallDisk(sizeMb: number): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'storyloom-disk-'));
  try {
    run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m,mode=0700`, 'tmpfs', dir]);
  } catch (e) {
    rmdirSync(dir);
    const why = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
    throw new Error(
      `The disk-full test needs to mount a small tmpfs for the browser profile and was not allowed to (${why}); run it as root or in a container with CAP_SYS_ADMIN.`,
      { cause: e },
    );
  }
  const filler = join(dir, 'filler');
  const free = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  return {
    dir,
    free,
    fill(leave = 0) {
      const fd = openSync(filler, 'a');
      const big = Buffer.alloc(1 << 20, 0x5a);
      try {
        while (free() > leave + big.length) writeSync(fd, big);
        const page = big.subarray(0, 4096);
        while (free() > leave) writeSync(fd, page);
      } catch (e) {
        // ENOSPC: the disk is as full as it gets.
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      } finally {
        closeSync(fd);
      }
    },
    release() {
      rmSync(filler, { force: true });
    },
    unmount() {
      // The browser may still be letting go of its files: try a few times, then lazily.
      for (let i = 0; i < 10; i++) {
        try {
          run('umount', [dir]);
          rmdirSync(dir);
          return;
        } catch {
          execFileSync('sleep', ['0.2']);
        }
      }
      run('umount', ['-l', dir]);
      rmdirSync(dir);
    },
  };
}
