/**
 * The schemas of the files that survive a crash are written with zod's small entry (zod/mini: functions
 * rather than methods, a tenth of the code to load), which brings no messages of its own: imported for
 * its effect, this gives them the English ones of zod's full entry.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

config(en());
