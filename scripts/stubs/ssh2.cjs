// Stands in for the ssh2 package in the build. dockerode loads it at start for docker hosts
// reached over ssh://, which Berth never uses (the agent talks to the local engine's socket), and
// ssh2 costs the agent ~14 MB of memory on load (a 16 MB WebAssembly heap for poly1305).
class Client {
  constructor() {
    throw new Error('docker hosts over ssh:// are not supported by the Berth build');
  }
}
module.exports = { Client };
