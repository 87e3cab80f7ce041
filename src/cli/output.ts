/**
 * Standard output with backpressure, that knows when its reader went away (`| head`): the first
 * EPIPE aborts the command, which then exits quietly instead of crashing on an unhandled error.
 */
import { Stopped } from "./stop";

/** A writable stream seen as an output of lines. */
export class Output {
  private closed = false;

  /**
   * @param stream where to write (stdout)
   * @param onClosed called once when the reader is gone
   */
  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly onClosed: () => void,
  ) {
    stream.on("error", this.fail);
  }

  private readonly fail = (error: NodeJS.ErrnoException) => {
    // EPIPE and its kin: nobody reads any more. Any other write error is also an end of output.
    if (!this.closed) {
      this.closed = true;
      this.onClosed();
    }
    void error;
  };

  /** Whether the reader went away. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes `text`; waits when the stream's buffer is full; rejects with Stopped("EPIPE") once closed. */
  write(text: string): Promise<void> | void {
    if (this.closed) throw new Stopped("EPIPE");
    if (this.stream.write(text)) return;
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        this.stream.off("drain", done);
        this.stream.off("error", done);
        this.stream.off("close", done);
        if (this.closed) reject(new Stopped("EPIPE"));
        else resolve();
      };
      this.stream.once("drain", done);
      this.stream.once("error", done);
      this.stream.once("close", done);
    });
  }
}
