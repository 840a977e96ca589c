import swc from 'unplugin-swc';
import { defineProject } from 'vitest/config';

/** Project config for a package or app. NestJS code needs decorator metadata, which esbuild does not emit, so it is compiled by swc. */
export function parleyProject(name: string, opts: { decorators?: boolean; timeoutMs?: number } = {}) {
  return defineProject({
    plugins: opts.decorators ? [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true } } })] : [],
    test: {
      name,
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: opts.timeoutMs ?? 30_000,
      hookTimeout: 60_000,
      environment: 'node',
    },
  });
}
