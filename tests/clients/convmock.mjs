// Starts the convmock binary named by CONVMOCK_BIN on a free port; resolves to its base URL
// and a stop function. Shared by the client tests in this folder.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export function startConvmock(...flags) {
  const bin = process.env.CONVMOCK_BIN;
  if (!bin) throw new Error('set CONVMOCK_BIN to the convmock binary');
  const child = spawn(bin, ['--port', '0', '--quiet', ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const url = line.replace(/^listening on /, '');
      resolve({ url, stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => reject(new Error(`convmock exited with ${code}`)));
  });
}
