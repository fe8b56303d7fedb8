/**
 * A consumer group member's record, read for the group report from what the member left behind: its
 * checkpoint, or the lines it printed with --json (the last summary line holds its record).
 */
import { readRecordFile } from './record-file.js';
import { basename } from 'node:path';
import { z } from 'zod';
import type { MemberDeparture, MemberRecord } from '../core/group.js';
import { CliError } from '../core/errors.js';
import { topicSummarySchema, totalsSchema } from '../core/counts.js';
import { noUnreadable } from '../core/unreadable.js';
import { Checkpoint } from './checkpoint.js';

const summaryRows = z.array(topicSummarySchema);

/** Absent from summaries written before they were counted: none then. */
const summaryUnreadable = z.object({ badPaths: totalsSchema.shape.badPaths, nonIntegers: totalsSchema.shape.nonIntegers });

const summaryDeparture = z.object({ persistentSession: z.boolean(), sessionExpiry: z.int().nonnegative().nullable(), at: z.iso.datetime() });

/** How the member left, from its checkpoint: its last write, at or a little before the time it left (an earlier time only makes an expiry come sooner). */
function departureOf(hadSession: boolean, sessionExpiry: number | null | undefined, savedAt: string): MemberDeparture | null {
  const at = Date.parse(savedAt);
  if (sessionExpiry === undefined || Number.isNaN(at)) return null;
  return { persistentSession: hadSession && sessionExpiry !== 0, sessionExpiry, at };
}

/** "$share/workers/my_topic" names the group workers. */
function groupOf(filter: string): string | null {
  const match = /^\$share\/([^/]+)\//.exec(filter);
  return match ? match[1]! : null;
}

export function readMemberRecord(path: string): MemberRecord {
  const { text, whole } = readRecordFile(path);
  if (whole !== null && typeof whole === 'object' && 'tracker' in whole) {
    const saved = new Checkpoint(path).load()!;
    const { badPaths, nonIntegers } = saved.tracker.totals;
    return {
      member: saved.clientId,
      group: groupOf(saved.topic),
      topics: saved.tracker.topics,
      departure: departureOf(saved.hadSession, saved.sessionExpiry, saved.savedAt),
      unreadable: { badPaths, nonIntegers },
    };
  }
  let summary: unknown;
  let clientId: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let event: { event?: unknown; clientId?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      continue; // a line cut off by a kill
    }
    if (event.event === 'summary') summary = event;
    if (event.event === 'connected' && typeof event.clientId === 'string') clientId ??= event.clientId;
  }
  if (summary === undefined) {
    throw new CliError(`${path} is neither a consumer's state file nor its --json output with a summary line (the member must have stopped, e.g. with Ctrl+C)`);
  }
  const { topics, group, departure, badPaths, nonIntegers } = summary as { topics?: unknown; group?: unknown; departure?: unknown; badPaths?: unknown; nonIntegers?: unknown };
  const rows = summaryRows.safeParse(topics);
  if (!rows.success) {
    const issue = rows.error.issues[0]!;
    throw new CliError(`the summary in ${path} is not one this consumer writes (topics.${issue.path.join('.')}: ${issue.message})`);
  }
  const left = summaryDeparture.safeParse(departure);
  const unreadable = summaryUnreadable.safeParse({ badPaths, nonIntegers });
  return {
    member: clientId ?? basename(path),
    group: typeof group === 'string' ? group : null,
    topics: rows.data,
    departure: left.success ? { ...left.data, at: Date.parse(left.data.at) } : null,
    unreadable: unreadable.success ? unreadable.data : noUnreadable(),
  };
}
