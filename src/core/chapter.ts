/**
 * Which broker a consumer's accounting belongs to, and when a run starts a new chapter of it instead of
 * continuing: a checkpoint written against one broker says nothing about what another one delivered.
 */

/** A broker as a checkpoint records it: its nodes (scheme, host, port; never credentials) and the MQTT version spoken. */
export interface BrokerIdentity {
  /** "mqtt://host:port" or "mqtts://host:port", sorted, each once. */
  urls: string[];
  protocolVersion: 4 | 5;
}

/** One node as the connection settings give it. */
export interface BrokerNode {
  host: string;
  port: number;
  secure: boolean;
}

/** Why a run does not continue the accounting it found. */
export type ChapterReason = 'reset' | 'broker' | 'protocol-version';

/** tcp:// and mqtt:// are one scheme, ssl:// and mqtts:// another; host names are case-insensitive. */
export function brokerIdentity(nodes: BrokerNode[], protocolVersion: 4 | 5): BrokerIdentity {
  const urls = nodes.map((node) => {
    const host = node.host.toLowerCase();
    return `${node.secure ? 'mqtts' : 'mqtt'}://${host.includes(':') ? `[${host}]` : host}:${node.port}`;
  });
  return { urls: [...new Set(urls)].sort(), protocolVersion };
}

/**
 * Whether this run starts a new chapter, and why; null to continue. Two URL lists are the same broker
 * when they share a node (a cluster may be given by some of its nodes, in any order). A checkpoint that
 * names no broker (written before they did) is taken as belonging to the broker it is used with.
 */
export function chapterReason(saved: BrokerIdentity | undefined, current: BrokerIdentity, reset: boolean): ChapterReason | null {
  if (reset) return 'reset';
  if (saved === undefined) return null;
  if (!saved.urls.some((url) => current.urls.includes(url))) return 'broker';
  if (saved.protocolVersion !== current.protocolVersion) return 'protocol-version';
  return null;
}
