export * from './vocabulary';
export * from './schema';
export * from './errors';
export * from './factories';
export * from './panel-status';
export * from './progress';
export * from './cast-order';
export * from './review-queue';
