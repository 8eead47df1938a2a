export * from './plan';
export * from './policy';
export * from './loop';
export * from './attempt';
