import { execFileSync } from 'node:child_process';

/** Is a command-line tool (unzip, zip, python3) on this machine? Interop tests run only where it is. */
export function has(tool: string): boolean {
  try {
    execFileSync('which', [tool], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
