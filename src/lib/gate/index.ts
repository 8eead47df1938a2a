export * from './plan';
export * from './policy';
export * from './loop';
