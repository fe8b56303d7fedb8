import { partitionStory } from './partition-story.js';
import type { Scenario } from '../../story.js';

export const partitionProducerNode: Scenario = {
  name: 'partition-producer-node',
  title: "The producer's node is cut off from the other nodes",
  claim: "When the producer's node loses its links to the other nodes for 10 s while the producer still reaches it, every value the node acknowledged reaches the consumer on another node: a node in the minority acknowledges nothing it cannot replicate.",
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['isolate', 'heal'],
  run: (context) => partitionStory(context, { scenario: 'partition-producer-node', cut: 'producer', clientsToo: false }),
};
