/**
 * The subscriber a Node user writes from MQTT.js's README, for `npm run bench` to compare with: connect,
 * subscribe, print each payload; nothing tuned. Returns to a persistent session (MQTT 5) and exits after
 * COUNT messages.   node scripts/bare-subscriber.mjs URL CLIENT_ID TOPIC COUNT
 */
/* global process, console */
import mqtt from 'mqtt';

const [url, clientId, topic, count] = process.argv.slice(2);
const client = mqtt.connect(url, { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 } });
let received = 0;

client.on('connect', () => {
  client.subscribe(topic, { qos: 1 });
});

client.on('message', (_topic, message) => {
  console.log(message.toString());
  if (++received === Number(count)) client.end();
});
