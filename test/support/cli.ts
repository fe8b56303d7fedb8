/** The commands as real processes, as the tests use them. */
export { ChildCommand as CliProcess, messageValues, type JsonEvent } from '../../src/child-command.js';
