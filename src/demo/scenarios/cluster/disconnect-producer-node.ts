import { partitionStory } from './partition-story.js';
import type { Scenario } from '../../story.js';

export const disconnectProducerNode: Scenario = {
  name: 'disconnect-producer-node',
  title: "The producer's node is cut off from everything",
  claim: "When the producer's node loses every link for 10 s (to the other nodes and to the clients), the producer notices, sends again through another node what was not acknowledged, and no acknowledged value is lost.",
  needsMosquitto: false,
  needsCluster: true,
  needsActions: ['disconnect', 'heal'],
  run: (context) => partitionStory(context, { scenario: 'disconnect-producer-node', cut: 'producer', clientsToo: true }),
};
