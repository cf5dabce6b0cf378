// A bridge from ZooKeeper to browsers as a Node developer would write it: node-zookeeper-client
// and ws. It keeps a children watch on one path, re-armed on every event, and sends the sorted
// children as JSON to every WebSocket viewer. zkplay's benchmark measures it beside zkplay.
//
// Usage: node bridge.js <zookeeper host:port> <path> <port>
'use strict';

const zookeeper = require('node-zookeeper-client');
const { WebSocketServer } = require('ws');

const [connect, path, port] = process.argv.slice(2);
if (!connect || !path || !port) {
  console.error('usage: node bridge.js <zookeeper host:port> <path> <port>');
  process.exit(2);
}

const client = zookeeper.createClient(connect, { sessionTimeout: 10000 });
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(port) });
let latest = JSON.stringify({ children: [] });

function broadcast(message) {
  latest = message;
  for (const viewer of wss.clients) {
    if (viewer.readyState === viewer.OPEN) viewer.send(message);
  }
}

// getChildren with a watcher: the watch fires once, so every event lists (and watches) again.
function listAndWatch(then) {
  client.getChildren(path, () => listAndWatch(), (error, children) => {
    if (error) {
      console.error(`getChildren ${path}: ${error}`);
      setTimeout(() => listAndWatch(then), 100);
      return;
    }
    broadcast(JSON.stringify({ children: children.sort() }));
    if (then) then();
  });
}

wss.on('connection', (viewer) => viewer.send(latest));
client.once('connected', () => {
  client.mkdirp(path, (error) => {
    if (error) {
      console.error(`mkdirp ${path}: ${error}`);
      process.exit(1);
    }
    // Ready once it listens and has the first list.
    listAndWatch(() => {
      if (wss.address()) console.log('ready');
      else wss.once('listening', () => console.log('ready'));
    });
  });
});
// node-zookeeper-client does not start a new session by itself.
client.on('expired', () => {
  console.error('session expired');
  process.exit(1);
});
process.on('SIGTERM', () => {
  wss.close();
  client.once('disconnected', () => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
  client.close();
});
client.connect();
