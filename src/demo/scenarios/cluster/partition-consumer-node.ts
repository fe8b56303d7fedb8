import { partitionStory } from './partition-story.js';
import type { Scenario } from '../../story.js';

export const partitionConsumerNode: Scenario = {
  name: 'partition-consumer-node',
  title: "The consumer's node is cut off from the other nodes",
  claim: "When the consumer's node loses its links to the other nodes for 10 s while the consumer still reaches it, no value acknowledged to the producer is lost: what the consumer missed meanwhile arrives once the links are healed.",
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['isolate', 'heal'],
  run: (context) => partitionStory(context, { scenario: 'partition-consumer-node', cut: 'consumer', clientsToo: false }),
};
