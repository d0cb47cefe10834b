/**
 * The project's one zod: zod/mini (a fraction of zod's size: the configuration is read on every
 * command's start-up, a receipt on every production run) with zod's English messages.
 */
import * as z from 'zod/mini'
import en from 'zod/v4/locales/en.js'

z.config(en())

export { z }
