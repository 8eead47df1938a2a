import { execSync } from 'node:child_process';

/** The twins must exist before any test serves them: the forge is cheap when its output is current. */
export default function globalSetup(): void {
  execSync('npm run forge', { stdio: 'inherit' });
}
