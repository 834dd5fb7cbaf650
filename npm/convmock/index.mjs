// `import { startConvmock } from 'convmock'`: the same function as `require('convmock')`.
export { startConvmock } from './index.cjs';
