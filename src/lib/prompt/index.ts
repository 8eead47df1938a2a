export * from './compile';
export * from './encoder-cache';
