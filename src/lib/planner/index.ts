export * from './schema';
export * from './prompts';
export * from './fallback';
