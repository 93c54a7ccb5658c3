import { MemoryChannel } from '../../src/server/channel/channel.js';
import { describeFrameChannel } from './support/channel-contract.js';

describeFrameChannel('MemoryChannel', async () => {
  const channel = new MemoryChannel();
  return { publisher: channel, subscriber: channel, close: () => channel.close() };
});
