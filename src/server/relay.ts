/**
 * `serve` attached to the bank server: the session's stdio relayed byte for byte to a connection
 * on the store's socket, both ways, with stream back-pressure (a client that stops reading stops
 * the relay from reading the server, and the server's session then stops reading the client).
 * Stdout carries only what the server sends: protocol.
 */
import type { Socket } from "node:net";

export function relay(socket: Socket, log: (m: string) => void): Promise<number> {
  return new Promise((resolve) => {
    let inputEnded = false;
    process.stdin.on("end", () => {
      inputEnded = true;
    });
    socket.on("error", (error) => log(`connection to the bank server: ${error.message}`));
    socket.on("close", () => {
      if (!inputEnded) log("the bank server closed the connection: this session has ended");
      // What the server sent last must reach the client before we exit.
      if (process.stdout.writableLength === 0) resolve(inputEnded ? 0 : 1);
      else process.stdout.once("drain", () => resolve(inputEnded ? 0 : 1));
    });
    process.stdin.pipe(socket);
    socket.pipe(process.stdout, { end: false });
    socket.resume();
  });
}
