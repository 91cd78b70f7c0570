import type { NextConfig } from 'next';

// Nothing to configure: `seqline` resolves through tsconfig.json's paths here, and through
// node_modules in your app.
const config: NextConfig = {};

export default config;
