// Type-checked (not run) by scripts/npm_package.sh: what a CommonJS TypeScript file writes.
import convmock = require('convmock');

async function main(): Promise<string> {
  const server = await convmock.startConvmock();
  const url: string = server.url;
  await server.close();
  return url;
}
export = main;
