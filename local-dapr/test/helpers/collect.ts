// A Writable that keeps what was written, for asserting on prefixed output.
import { Writable } from 'node:stream'

export class Collect extends Writable {
  text = ''
  override _write (chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString()
    done()
  }

  /** Resolves once the collected text matches. */
  async waitFor (pattern: RegExp, timeoutMs = 20_000): Promise<void> {
    const started = Date.now()
    while (!pattern.test(this.text)) {
      if (Date.now() - started > timeoutMs) throw new Error(`output never matched ${pattern}:\n${this.text}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
}
