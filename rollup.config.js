// Bundles the action (dist/index.js) and the CLI (dist/cli.js) into self-contained ESM files:
// the runner executes dist/index.js with no node_modules present.
import commonjs from '@rollup/plugin-commonjs'
import json from '@rollup/plugin-json'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import typescript from '@rollup/plugin-typescript'

const plugins = () => [
  typescript({ tsconfig: './tsconfig.build.json', outDir: 'dist', noEmitOnError: true }),
  nodeResolve({ preferBuiltins: true, exportConditions: ['node'] }),
  commonjs(),
  json()
]

const onwarn = (warning, warn) => {
  // @actions/* and octokit use `this` at module level and circular imports; both are harmless here.
  if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return
  warn(warning)
}

export default [
  { input: 'src/action/index.ts', output: { file: 'dist/index.js', format: 'es', sourcemap: false }, plugins: plugins(), onwarn },
  {
    input: 'src/cli/index.ts',
    output: { file: 'dist/cli.js', format: 'es', sourcemap: false, banner: '#!/usr/bin/env node' },
    plugins: plugins(),
    onwarn
  }
]
