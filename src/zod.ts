/**
 * The project's one zod: zod/mini (a fraction of zod's size: the configuration is read on every
 * command's start-up, a receipt on every production run) with zod's English messages.
 *
 * The members the schemas use are re-exported by name, to be imported as `import * as z from
 * '../zod.ts'`, so a bundle keeps just those. zod/mini's own `z`, or `export *` (which includes
 * it), is a namespace object holding every member: 253 KB compiled on every command's start-up.
 */
import { config } from 'zod/mini'
import en from 'zod/v4/locales/en.js'

config(en())

export {
  _default,
  array,
  gte,
  int,
  literal,
  lte,
  minLength,
  number,
  optional,
  positive,
  record,
  refine,
  regex,
  strictObject,
  string,
  unknown,
  url,
  type infer,
  type input,
  type output,
} from 'zod/mini'
